"""Articles: per-site options that intake and the pipeline read (closed, pre-moderated, section)."""
