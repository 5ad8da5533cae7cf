"""`moderation db upgrade` and `moderation sites ...`, run through click on a real SQLite file."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import inspect, select

from service.cli import main
from service.cli.context import sync_engine
from service.db.models import Site
from service.ids import hash_secret

pytestmark = pytest.mark.usefixtures("cli_env")


def run(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def key_from(output: str) -> str:
    return output.rsplit(":", 1)[1].strip()


def test_db_upgrade_creates_the_schema_and_is_repeatable() -> None:
    run("db", "upgrade")
    run("db", "upgrade")
    tables = set(inspect(sync_engine()).get_table_names())
    assert {"sites", "articles", "authors", "comments", "comment_history", "alembic_version"} <= tables


def test_sites_create_prints_the_key_once_and_stores_only_its_hash() -> None:
    run("db", "upgrade")
    output = run("sites", "create", "daily", "--name", "The Daily")
    key = key_from(output)
    assert key.startswith("site_")
    with sync_engine().connect() as conn:
        stored = conn.execute(select(Site.name, Site.api_key_hash)).one()
    assert stored == ("The Daily", hash_secret(key))
    listing = run("sites", "list")
    assert "daily\tThe Daily" in listing
    assert key not in listing


def test_rotate_key_replaces_the_hash() -> None:
    run("db", "upgrade")
    old = key_from(run("sites", "create", "daily"))
    new = key_from(run("sites", "rotate-key", "daily"))
    assert new != old
    with sync_engine().connect() as conn:
        assert conn.scalar(select(Site.api_key_hash)) == hash_secret(new)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("sites", "create", "Bad Slug!"), "lowercase letters"),
        (("sites", "rotate-key", "nowhere"), "no site 'nowhere'"),
        (("sites", "set-webhook", "daily", "--url", "ftp://x"), "must be http(s)"),
    ],
)
def test_site_commands_refuse_bad_input_with_a_message(args: tuple[str, ...], message: str) -> None:
    run("db", "upgrade")
    run("sites", "create", "daily")
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 1
    assert message in result.output


def test_duplicate_site_is_refused() -> None:
    run("db", "upgrade")
    run("sites", "create", "daily")
    result = CliRunner().invoke(main, ["sites", "create", "daily"])
    assert result.exit_code == 1
    assert "already exists" in result.output


def test_set_webhook_prints_a_secret_and_can_remove_it() -> None:
    run("db", "upgrade")
    run("sites", "create", "daily")
    output = run("sites", "set-webhook", "daily", "--url", "https://daily.example/hook")
    secret = key_from(output)
    assert secret.startswith("whsec_")
    with sync_engine().connect() as conn:
        assert conn.execute(select(Site.webhook_url, Site.webhook_secret)).one() == (
            "https://daily.example/hook",
            secret,
        )
    run("sites", "set-webhook", "daily")
    with sync_engine().connect() as conn:
        assert conn.execute(select(Site.webhook_url, Site.webhook_secret)).one() == (None, None)


def test_a_bad_setting_is_reported_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    from service.cli import context

    monkeypatch.setenv("MODERATION_PORT", "eighty")
    context.settings.cache_clear()
    result = CliRunner().invoke(main, ["sites", "list"])
    assert result.exit_code == 1
    assert "MODERATION_PORT must be an integer" in result.output
