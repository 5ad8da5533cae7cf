"""Logs: one JSON object per line, the request id on every line, and never the comment's text."""

from __future__ import annotations

import json

import pytest

from service.logging import configure_logging
from service.settings import LogSettings
from tests.conftest import auth
from tests.integration.api.test_intake import comment

pytestmark = pytest.mark.usefixtures("settings")

MARKER = "Zanzibar-7731 unmistakable words"


async def test_comment_text_never_reaches_the_logs(client, make_site, capsys):
    configure_logging(LogSettings(level="DEBUG", format="json"))
    key = make_site()
    accepted = await client.post("/v1/comments", json=comment(body=MARKER), headers=auth(key))
    duplicate = await client.post("/v1/comments", json=comment(body=MARKER), headers=auth(key))
    too_long = await client.post("/v1/comments", json=comment(body=MARKER * 20), headers=auth(key))
    assert (accepted.status_code, duplicate.status_code, too_long.status_code) == (202, 409, 422)
    output = capsys.readouterr()
    logged = output.err + output.out
    assert MARKER not in logged
    assert "Zanzibar" not in logged
    lines = [json.loads(line) for line in output.err.splitlines() if line.startswith("{")]
    accepted_line = next(line for line in lines if line["event"] == "comment.accepted")
    assert accepted_line["comment_id"] == accepted.json()["id"]
    assert accepted_line["length"] == len(MARKER)
    requests = [line for line in lines if line["event"] == "http.request"]
    assert len(requests) == 3
    assert {line["request_id"] for line in requests} == {
        response.headers["x-request-id"] for response in (accepted, duplicate, too_long)
    }
