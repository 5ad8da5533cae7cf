"""The HTTP API, storage and settings of the comment moderation service."""
