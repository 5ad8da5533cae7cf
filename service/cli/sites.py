"""`moderation sites`: create sites and manage their API keys."""

from __future__ import annotations

import click

from service.cli.context import session_scope
from service.sites.services import SiteError, configure_webhook, create_site, list_sites, rotate_key


@click.group()
def sites() -> None:
    """Sites (tenants) and their API keys."""


@sites.command("create")
@click.argument("slug")
@click.option("--name", help="Display name (default: the slug).")
def create(slug: str, name: str | None) -> None:
    """Create a site and print its API key once."""
    try:
        with session_scope() as session:
            site, key = create_site(session, slug, name)
    except SiteError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"site {site.slug} created")
    click.echo(f"API key (shown once, store it now): {key}")


@sites.command("list")
def list_() -> None:
    """List sites."""
    with session_scope() as session:
        for site in list_sites(session):
            click.echo(f"{site.slug}\t{site.name}\t{site.created_at:%Y-%m-%d}")


@sites.command("rotate-key")
@click.argument("slug")
def rotate(slug: str) -> None:
    """Give a site a new API key; the old one stops working."""
    try:
        with session_scope() as session:
            key = rotate_key(session, slug)
    except SiteError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"new API key for {slug} (shown once): {key}")


@sites.command("set-webhook")
@click.argument("slug")
@click.option("--url", help="HTTPS endpoint that receives status events; omit to remove the webhook.")
@click.option("--secret", help="Signing secret (default: a new random one, printed once).")
def set_webhook(slug: str, url: str | None, secret: str | None) -> None:
    """Set or remove the URL (and signing secret) that receives this site's comment events."""
    try:
        with session_scope() as session:
            secret = configure_webhook(session, slug, url, secret)
    except SiteError as exc:
        raise click.ClickException(str(exc)) from None
    if url is None:
        click.echo(f"webhook removed for {slug}")
    else:
        click.echo(f"webhook for {slug}: {url}")
        click.echo(f"signing secret (shown once): {secret}")
