"""`moderation worker`: how many scoring processes it starts, how many torch threads each gets, how it stops."""

from __future__ import annotations

import os
from typing import Any

import pytest
from click.testing import CliRunner

import workers.celery_app
from service.cli import context
from service.cli import workers as worker_cli


class FakeCelery:
    def __init__(self) -> None:
        self.argv: list[str] = []

    def worker_main(self, argv: list[str]) -> None:
        self.argv = argv


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Runs the command with `cores` cores and returns (celery argv, the torch threads the processes inherit)."""
    fake = FakeCelery()
    monkeypatch.setattr(workers.celery_app, "create_celery", lambda settings: fake)

    def run(*args: str, cores: int, torch_threads: str | None = None) -> tuple[list[str], str | None]:
        monkeypatch.setattr(worker_cli, "available_cores", lambda: cores)
        # setenv first, so that whatever the command sets is undone after the test.
        monkeypatch.setenv(worker_cli.TORCH_THREADS_VARIABLE, torch_threads or "0")
        if torch_threads is None:
            monkeypatch.delenv(worker_cli.TORCH_THREADS_VARIABLE)
        context.settings.cache_clear()
        result = CliRunner().invoke(worker_cli.worker, list(args), catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return fake.argv, os.environ.get(worker_cli.TORCH_THREADS_VARIABLE)

    yield run
    context.settings.cache_clear()


def test_default_is_one_single_threaded_process_per_core(started: Any) -> None:
    argv, threads = started(cores=4)
    assert "--pool=prefork" in argv and "--concurrency=4" in argv
    assert threads == "1"


def test_a_large_machine_gets_four_processes_sharing_the_cores(started: Any) -> None:
    argv, threads = started(cores=16)
    assert "--concurrency=4" in argv
    assert threads == "4"


def test_fewer_processes_share_the_cores_out(started: Any) -> None:
    argv, threads = started("--concurrency", "2", cores=8)
    assert "--concurrency=2" in argv
    assert threads == "4"


def test_an_explicit_torch_thread_count_is_kept(started: Any) -> None:
    _, threads = started(cores=4, torch_threads="3")
    assert threads == "3"


def test_solo_and_thread_pools_run_one_and_leave_torch_alone(started: Any) -> None:
    argv, threads = started("--pool", "solo", cores=4)
    assert "--concurrency=1" in argv
    assert threads is None


def test_zero_processes_is_refused(started: Any) -> None:
    result = CliRunner().invoke(worker_cli.worker, ["--concurrency", "0"])
    assert result.exit_code == 2
    assert "--concurrency" in result.output


def test_a_prefork_child_waits_seconds_not_half_a_minute_for_its_stopping_parent(
    started: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import billiard.pool

    monkeypatch.setattr(billiard.pool, "GUARANTEE_MESSAGE_CONSUMPTION_RETRY_LIMIT", 300)  # billiard 4.3: 30 s
    started(cores=2)
    wait = (
        billiard.pool.GUARANTEE_MESSAGE_CONSUMPTION_RETRY_LIMIT
        * billiard.pool.GUARANTEE_MESSAGE_CONSUMPTION_RETRY_INTERVAL
    )
    assert 1 <= wait <= worker_cli.CHILD_EXIT_WAIT_SECONDS


def test_a_billiard_without_the_exit_wait_still_starts(started: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import billiard.pool

    monkeypatch.delattr(billiard.pool, "GUARANTEE_MESSAGE_CONSUMPTION_RETRY_INTERVAL")
    argv, _ = started(cores=2)
    assert "--concurrency=2" in argv
