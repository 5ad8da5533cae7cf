"""ASGI entry point for uvicorn (`service.asgi:app`, a factory), used by `moderation api` and `serve`."""

from __future__ import annotations

from litestar import Litestar

from service.app import create_app
from service.logging import configure_logging
from service.settings import load_settings
from workers.dispatch import CeleryDispatcher


def app() -> Litestar:
    settings = load_settings()
    configure_logging(settings.log)
    return create_app(settings, CeleryDispatcher(settings))
