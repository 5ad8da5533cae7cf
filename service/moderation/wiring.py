"""The moderator API's part of the app: its controllers and the dependencies they need."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.di import Provide
from litestar.types import ControllerRouterHandler
from sqlalchemy.ext.asyncio import AsyncEngine

from policies import PolicyStore
from service.dispatch import TaskDispatcher
from service.moderation.audit import AuditService
from service.moderation.auth import ModeratorAuthenticator, ModeratorContext, moderator_token
from service.moderation.authors import AuthorActionService
from service.moderation.controllers import ModerationController
from service.moderation.services import ModerationService
from service.reports.controllers import ReportController
from service.reports.services import ReportService


def moderation_routes(
    engine: AsyncEngine, policies: PolicyStore, dispatcher: TaskDispatcher, claim_seconds: int
) -> tuple[list[ControllerRouterHandler], dict[str, Provide]]:
    authenticator = ModeratorAuthenticator(engine)
    moderation = ModerationService(engine, policies, dispatcher, claim_seconds)
    authors = AuthorActionService(engine, policies, dispatcher)
    audit = AuditService(engine)
    reports = ReportService(engine, policies, dispatcher)

    async def moderator(request: Request[Any, Any, Any]) -> ModeratorContext:
        return await authenticator.authenticate(moderator_token(request))

    dependencies = {
        "moderator": Provide(moderator),
        "moderation": Provide(lambda: moderation, sync_to_thread=False),
        "authors": Provide(lambda: authors, sync_to_thread=False),
        "audit": Provide(lambda: audit, sync_to_thread=False),
        "reports": Provide(lambda: reports, sync_to_thread=False),
    }
    return [ModerationController, ReportController], dependencies
