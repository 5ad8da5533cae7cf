"""Creating sites and rotating their keys (used by the CLI); only a hash of each key is stored."""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import Site
from service.ids import hash_secret, new_secret

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


class SiteError(ValueError):
    pass


def create_site(session: Session, slug: str, name: str | None = None) -> tuple[Site, str]:
    """Create a site; returns it with its API key, which is never stored or shown again."""
    if not SLUG.match(slug):
        raise SiteError(f"site slug must be lowercase letters, digits and dashes (at most 63): {slug!r}")
    if session.scalar(select(Site.id).where(Site.slug == slug)) is not None:
        raise SiteError(f"site {slug!r} already exists")
    key = new_secret("site")
    site = Site(slug=slug, name=name or slug, api_key_hash=hash_secret(key))
    session.add(site)
    session.flush()
    return site, key


def list_sites(session: Session) -> Sequence[Site]:
    return session.scalars(select(Site).order_by(Site.slug)).all()


def rotate_key(session: Session, slug: str) -> str:
    """Replace a site's key; the old one stops working at once (after the API's short auth cache)."""
    site = session.scalar(select(Site).where(Site.slug == slug))
    if site is None:
        raise SiteError(f"no site {slug!r}")
    key = new_secret("site")
    site.api_key_hash = hash_secret(key)
    return key


def configure_webhook(session: Session, slug: str, url: str | None, secret: str | None = None) -> str | None:
    """Set (or with url None, remove) a site's webhook; returns the signing secret in use."""
    site = session.scalar(select(Site).where(Site.slug == slug))
    if site is None:
        raise SiteError(f"no site {slug!r}")
    if url is not None and not url.startswith(("https://", "http://")):
        raise SiteError(f"webhook URL must be http(s): {url!r}")
    site.webhook_url = url
    site.webhook_secret = (secret or new_secret("whsec")) if url else None
    return site.webhook_secret
