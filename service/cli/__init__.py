"""The `moderation` command: one entry point for operators, grouped by domain."""

from __future__ import annotations

import click

from service.cli.db import db
from service.cli.model import model
from service.cli.moderators import moderators
from service.cli.policy import policy
from service.cli.run import api, serve
from service.cli.sites import sites
from service.cli.workers import beat, worker


@click.group()
def main() -> None:
    """Self-hosted comment moderation for news sites."""


main.add_command(db)
main.add_command(policy)
main.add_command(model)
main.add_command(sites)
main.add_command(moderators)
main.add_command(serve)
main.add_command(api)
main.add_command(worker)
main.add_command(beat)
