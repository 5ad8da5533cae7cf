"""The hand-off from intake to the moderation pipeline, called only after the comment is committed."""

from __future__ import annotations

from typing import Protocol


class CommentDispatcher(Protocol):
    async def dispatch(self, comment_id: str) -> None:
        """Queue the comment for scoring; a failure here is repaired by the pending sweep, not the client."""
