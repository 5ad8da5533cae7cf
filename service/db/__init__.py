"""Storage: typed SQLAlchemy models, engines for the API (async) and CLI/workers (sync), migrations."""
