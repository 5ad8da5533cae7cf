"""Reader reports: a site passes on a reader's report; enough of them put a comment back in the queue."""
