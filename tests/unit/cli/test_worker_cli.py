"""`moderation worker`: its processes and torch threads, what each loads as it starts, how it stops."""

from __future__ import annotations

import os
from types import SimpleNamespace
from typing import Any

import pytest
from celery import signals
from click.testing import CliRunner

import workers.celery_app
import workers.runtime
from service.cli import context
from service.cli import workers as worker_cli
from workers.runtime import preload_model


class FakeCelery:
    def __init__(self) -> None:
        self.argv: list[str] = []
        self.conf = SimpleNamespace()

    def worker_main(self, argv: list[str]) -> None:
        self.argv = argv


@pytest.fixture
def celery_app(monkeypatch: pytest.MonkeyPatch) -> FakeCelery:
    fake = FakeCelery()
    monkeypatch.setattr(workers.celery_app, "create_celery", lambda settings: fake)
    return fake


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch, celery_app: FakeCelery) -> Any:
    """Runs the command with `cores` cores and returns (celery argv, the torch threads the processes inherit)."""
    fake = celery_app

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
    signals.worker_process_init.disconnect(preload_model)


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


@pytest.fixture
def model_loads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Counts what a started process would load, through the signal Celery sends in each new process."""
    loads: list[str] = []
    monkeypatch.setattr(workers.runtime, "runtime", lambda: SimpleNamespace(classifier=lambda: loads.append("model")))
    return loads


def test_scoring_processes_load_the_model_as_they_start(
    started: Any, celery_app: FakeCelery, model_loads: list[str]
) -> None:
    started(cores=2)
    signals.worker_process_init.send(sender=None)
    assert model_loads == ["model"]
    # Celery replaces a process that takes over 4 s to start; loading the model takes longer.
    assert celery_app.conf.worker_proc_alive_timeout == worker_cli.PROCESS_START_SECONDS


@pytest.mark.parametrize("options", [["--queues", "webhooks"], ["--pool", "threads"]])
def test_workers_that_score_nothing_load_no_model(started: Any, model_loads: list[str], options: list[str]) -> None:
    started(*options, cores=2)
    signals.worker_process_init.send(sender=None)
    assert model_loads == []
