"""Runs the processes of `moderation serve` together and stops them together."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Sequence

import click

STOP_GRACE_SECONDS = 15


def run_together(commands: dict[str, Sequence[str]]) -> int:
    """Start every command; when one exits or on Ctrl-C/SIGTERM, stop the rest and return."""
    children = {name: subprocess.Popen([sys.executable, "-m", "service.cli", *argv]) for name, argv in commands.items()}
    stopping = False

    def request_stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    exit_code = 0
    try:
        while not stopping:
            for name, child in children.items():
                if child.poll() is not None:
                    click.echo(f"{name} exited with status {child.returncode}; stopping the others", err=True)
                    exit_code = child.returncode or 1
                    stopping = True
                    break
            time.sleep(0.2)
    finally:
        for child in children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for child in children.values():
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
    return exit_code
