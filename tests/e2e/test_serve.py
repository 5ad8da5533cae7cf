"""The one-command start: `moderation serve` on embedded defaults, from an empty folder to decisions."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.conftest import auth
from tests.helpers.processes import REPO, free_port, start, stop, wait_for

pytestmark = pytest.mark.slow


def _ready(base: str) -> bool:
    try:
        return httpx.get(f"{base}/health/ready", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _status(base: str, key: str, comment_id: str) -> str | None:
    status = httpx.get(f"{base}/v1/comments/{comment_id}", headers=auth(key), timeout=5).json()["status"]
    return None if status == "pending" else str(status)


def test_serve_runs_everything_on_embedded_defaults_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    port = free_port()
    # Only a data folder and a port: SQLite, the SQLite broker, the bundled model, the shipped policy.
    env = {"MODERATION_DATA_DIR": str(tmp_path / "data"), "MODERATION_PORT": str(port), "MODERATION_LOG_FORMAT": "json"}
    log = tmp_path / "serve.log"
    serve = start(["serve"], env, log)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _ready(base), 90, "the API to answer /health/ready", log)
        created = subprocess.run(
            [sys.executable, "-m", "service.cli", "sites", "create", "daily"],
            env={**os.environ, **env},
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        )
        key = created.stdout.rsplit(":", 1)[1].strip()
        comments = {
            "Thank you for this well researched article.": "published",
            "What an i.d.1.o.t the mayor is": "rejected",  # the shipped banned list sees through the evasion
            # No listed word: held because the bundled model scores it toxic (0.89) under the default policy.
            "What a stupid, ugly little man you are": "held",
        }
        expected = {}
        for n, (body, outcome) in enumerate(comments.items()):
            payload = {"article_id": "budget-2027", "author": {"id": f"reader-{n}", "name": "Reader"}, "body": body}
            response = httpx.post(f"{base}/v1/comments", json=payload, headers=auth(key), timeout=10)
            assert response.status_code == 202, response.text
            expected[response.json()["id"]] = outcome
        for comment_id, outcome in expected.items():
            decided = wait_for(lambda cid=comment_id: _status(base, key, cid), 120, "a decision", log)
            assert decided == outcome
        assert f"http://127.0.0.1:{port}" in log.read_text()  # it printed where it listens
    finally:
        code = stop(serve, signal.SIGINT, timeout=40)
    assert code == 0, log.read_text()[-3000:]
    assert not _ready(base)
