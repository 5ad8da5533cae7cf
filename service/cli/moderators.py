"""`moderation moderators`: create moderator accounts, list them, revoke their tokens."""

from __future__ import annotations

import sys
from datetime import datetime

import click

from service.cli.context import session_scope
from service.moderation.accounts import ModeratorError, create_moderator, list_moderators, revoke_moderator
from service.moderation.labels import labelled_rows, write_labels


@click.group()
def moderators() -> None:
    """Moderator accounts, their roles and the sites they may act on."""


@moderators.command("create")
@click.argument("name")
@click.option("--sites", "sites", required=True, help="Comma-separated site slugs the moderator may act on.")
@click.option("--admin", is_flag=True, help="Role admin: may also ban and trust authors and read the audit.")
def create(name: str, sites: str, admin: bool) -> None:
    """Create a moderator and print their token once."""
    try:
        with session_scope() as session:
            moderator_id, token = create_moderator(session, name, sites.split(","), admin)
    except ModeratorError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"moderator {name} created (id {moderator_id}, {'admin' if admin else 'moderator'})")
    click.echo(f"token (shown once, store it now): {token}")


@moderators.command("list")
def list_() -> None:
    """List moderators with their role, sites and whether they are revoked."""
    with session_scope() as session:
        for moderator in list_moderators(session):
            state = f"revoked {moderator.revoked_at:%Y-%m-%d}" if moderator.revoked_at else "active"
            click.echo(f"{moderator.id}\t{moderator.name}\t{moderator.role}\t{','.join(moderator.sites)}\t{state}")


@moderators.command("revoke")
@click.argument("name")
def revoke(name: str) -> None:
    """Revoke a moderator's token at once; their actions stay in the audit trail."""
    try:
        with session_scope() as session:
            revoke_moderator(session, name)
    except ModeratorError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"moderator {name} revoked")


@moderators.command("export-labels")
@click.argument("site")
@click.option("--since", type=click.DateTime(), help="Only decisions from this time (UTC) on.")
def export_labels(site: str, since: datetime | None) -> None:
    """Print a site's moderator decisions as CSV for `moderation policy replay --input`.

    The file holds comment text: keep it on the newsroom's machines.
    """
    with session_scope() as session:
        count = write_labels(labelled_rows(session, site, since), sys.stdout)
    click.echo(f"{count} labelled comments", err=True)
