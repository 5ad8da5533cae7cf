"""`moderation moderators` commands, and every moderator endpoint named in the OpenAPI schema."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from service.cli import main
from service.db import migrate
from service.db.engine import create_sync_engine, sync_session_factory
from service.settings import load_settings
from service.sites.services import create_site
from tests.conftest import auth

OPERATIONS = {
    ("get", "/v1/moderation/queue"): "listModerationQueue",
    ("get", "/v1/moderation/comments/{comment_id}"): "getModerationComment",
    ("get", "/v1/moderation/comments/{comment_id}/history"): "getModerationCommentHistory",
    ("post", "/v1/moderation/comments/{comment_id}/decision"): "decideComment",
    ("post", "/v1/moderation/decisions"): "decideComments",
    ("post", "/v1/moderation/comments/{comment_id}/claim"): "claimComment",
    ("delete", "/v1/moderation/comments/{comment_id}/claim"): "releaseCommentClaim",
    ("put", "/v1/moderation/authors/{site_slug}/{author_id}"): "setAuthorStatus",
    ("get", "/v1/moderation/audit"): "listAuditTrail",
    ("post", "/v1/comments/{comment_id}/reports"): "reportComment",
}


@pytest.fixture
def sites(cli_env: dict[str, str]) -> dict[str, str]:
    engine = create_sync_engine(load_settings(cli_env).database)
    migrate.upgrade(engine)
    with sync_session_factory(engine).begin() as session:
        create_site(session, "daily")
        create_site(session, "weekly")
    engine.dispose()
    return cli_env


def test_cli_creates_lists_and_revokes_moderators(sites):
    runner = CliRunner()
    created = runner.invoke(main, ["moderators", "create", "alice", "--sites", "daily,weekly", "--admin"])
    assert created.exit_code == 0, created.output
    token = created.output.split("store it now): ")[1].strip()
    assert token.startswith("mod_")
    listed = runner.invoke(main, ["moderators", "list"])
    assert "alice\tadmin\tdaily,weekly\tactive" in listed.output
    assert token not in listed.output
    assert runner.invoke(main, ["moderators", "revoke", "alice"]).exit_code == 0
    assert "revoked" in runner.invoke(main, ["moderators", "list"]).output


def test_cli_refuses_unknown_sites(sites):
    result = CliRunner().invoke(main, ["moderators", "create", "bob", "--sites", "daily,nowhere"])
    assert result.exit_code != 0
    assert "no such site: nowhere" in result.output


@pytest.mark.usefixtures("settings")
async def test_every_moderator_endpoint_has_an_operation_id(client):
    schema = (await client.get("/schema/openapi.json")).json()
    found = {
        (method, path): operation.get("operationId")
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
    }
    assert {key: found.get(key) for key in OPERATIONS} == OPERATIONS


@pytest.mark.usefixtures("settings")
async def test_unknown_moderator_token_gets_401_everywhere(client):
    for (method, path), _ in OPERATIONS.items():
        url = path.replace("{comment_id}", "c").replace("{site_slug}", "s").replace("{author_id}", "a")
        response = await client.request(method.upper(), url, headers=auth("mod_nope"), json={})
        assert response.status_code == 401, (method, url, response.text)
