"""Liveness and readiness probes for load balancers and Kubernetes."""

from __future__ import annotations

from typing import Any

import structlog
from litestar import Controller, Response, get
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

log = structlog.get_logger()


class HealthController(Controller):
    path = "/health"
    tags = ["health"]
    include_in_schema = False

    @get("/live", operation_id="healthLive")
    async def live(self) -> dict[str, str]:
        return {"status": "ok"}

    @get("/ready", operation_id="healthReady")
    async def ready(self, engine: AsyncEngine) -> Response[dict[str, Any]]:
        try:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception as exc:
            log.warning("health.database_unreachable", error_type=type(exc).__name__)
            return Response({"status": "unavailable", "database": "unreachable"}, status_code=503)
        return Response({"status": "ok", "database": "ok"})
