"""The moderator side: accounts and scope, the queue, decisions, claims, author actions and the audit trail."""
