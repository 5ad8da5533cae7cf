"""Builds the Litestar application from settings: the one composition root of the HTTP process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar, Request
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from sqlalchemy.ext.asyncio import AsyncEngine

from policies import PolicyStore
from service.articles.controllers import ArticleController
from service.articles.services import ArticleService
from service.comments.controllers import CommentController
from service.comments.services import CommentService
from service.db.engine import create_api_engine
from service.dispatch import TaskDispatcher
from service.errors import handle_exception
from service.health import HealthController
from service.logging import RequestContextMiddleware
from service.metrics import MetricsController, request_metrics
from service.moderation.wiring import moderation_routes
from service.ratelimit import RateLimiter
from service.settings import Settings
from service.sites.auth import SiteAuthenticator, SiteContext, bearer_token


def create_app(
    settings: Settings,
    dispatcher: TaskDispatcher,
    *,
    engine: AsyncEngine | None = None,
    limiter: RateLimiter | None = None,
) -> Litestar:
    engine = engine or create_api_engine(settings.database)
    limiter = limiter or RateLimiter(settings.redis_url)
    policies = PolicyStore(settings.policy_dir)
    authenticator = SiteAuthenticator(engine)
    comments = CommentService(engine, policies, limiter, dispatcher)
    articles = ArticleService(engine)
    moderation_handlers, moderation_dependencies = moderation_routes(
        engine, policies, dispatcher, settings.api.claim_seconds
    )

    async def site(request: Request[Any, Any, Any]) -> SiteContext:
        return await authenticator.authenticate(bearer_token(request))

    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await dispatcher.close()
            await engine.dispose()

    return Litestar(
        route_handlers=[
            CommentController,
            ArticleController,
            HealthController,
            MetricsController,
            *moderation_handlers,
        ],
        dependencies={
            "site": Provide(site),
            "comments": Provide(lambda: comments, sync_to_thread=False),
            "articles": Provide(lambda: articles, sync_to_thread=False),
            "engine": Provide(lambda: engine, sync_to_thread=False),
            **moderation_dependencies,
        },
        exception_handlers={Exception: handle_exception},
        logging_config=None,  # service.logging configures every process; Litestar must not replace it
        middleware=[RequestContextMiddleware, request_metrics().middleware],
        request_max_body_size=settings.api.max_body_bytes,
        openapi_config=OpenAPIConfig(title="Comment moderation API", version="1"),
        lifespan=[lifespan],
    )
