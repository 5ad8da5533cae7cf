"""The hand-off from the API to the workers, called only after the change is committed."""

from __future__ import annotations

from typing import Protocol


class TaskDispatcher(Protocol):
    """A failure to hand off is logged, not raised: the workers' sweeps find what was missed."""

    async def moderate(self, comment_id: str) -> None:
        """Queue a stored comment for scoring and the policy."""

    async def deliver_webhook(self, delivery_id: int) -> None:
        """Queue a recorded webhook event for delivery to its site."""

    async def close(self) -> None:
        """Hand off what is still waiting; called when the app shuts down."""
