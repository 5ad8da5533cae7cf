"""PolicyStore: per-site files with a default, reload on change, last good version kept, no path escape."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import structlog

import policies.store
from policies import Policy, PolicyError, PolicyStore

GOOD = "limits: {max_length: 300}\n"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def write(path: Path, text: str, bump: int = 0) -> None:
    path.write_text(text)
    # Same-second rewrites must still be noticed: move mtime on explicitly.
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + bump * 1_000_000_000))


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    write(tmp_path / "default.yaml", GOOD)
    write(tmp_path / "news.yaml", "extends: default\nlimits: {max_length: 500}\n")
    return tmp_path


def test_site_file_else_default(folder: Path) -> None:
    store = PolicyStore(folder)
    assert store.for_site("news").limits.max_length == 500
    assert store.for_site("other").limits.max_length == 300
    assert store.for_site("other").name == "default"


@pytest.mark.parametrize("slug", ["../default", "news/../../etc", "/etc/passwd", "", ".hidden", "a\\b", "a b"])
def test_slugs_with_path_characters_are_refused(folder: Path, slug: str) -> None:
    with pytest.raises(ValueError, match="invalid site slug"):
        PolicyStore(folder).for_site(slug)


def test_reload_on_change_after_the_check_interval(folder: Path) -> None:
    clock = Clock()
    store = PolicyStore(folder, clock=clock)
    first = store.for_site("news")
    write(folder / "news.yaml", "extends: default\nlimits: {max_length: 400}\n", bump=1)
    clock.now = 0.5
    assert store.for_site("news") is first  # checked at most once per second
    clock.now = 1.5
    reloaded = store.for_site("news")
    assert reloaded.limits.max_length == 400
    assert reloaded.version != first.version


def test_change_in_a_parent_file_reloads_the_child(folder: Path) -> None:
    clock = Clock()
    store = PolicyStore(folder, clock=clock)
    store.for_site("news")
    write(folder / "default.yaml", "limits: {report_limit: 9}\n", bump=1)
    clock.now = 2
    assert store.for_site("news").limits.report_limit == 9


def test_bad_new_version_keeps_the_last_good_one_and_logs(folder: Path) -> None:
    clock = Clock()
    store = PolicyStore(folder, clock=clock)
    good = store.for_site("news")
    write(folder / "news.yaml", "extends: default\nlimits: {max_length: lots}\n", bump=1)
    clock.now = 2
    with structlog.testing.capture_logs() as logs:
        assert store.for_site("news") is good
    (event,) = [entry for entry in logs if entry["event"] == "policy.reload_failed"]
    assert event["site"] == "news"
    assert any(":2:" in error and "max_length" in error for error in event["errors"])
    write(folder / "news.yaml", "extends: default\nlimits: {max_length: 450}\n", bump=2)
    clock.now = 4
    assert store.for_site("news").limits.max_length == 450


def test_new_site_file_is_picked_up(folder: Path) -> None:
    clock = Clock()
    store = PolicyStore(folder, clock=clock)
    assert store.for_site("fresh").name == "default"
    write(folder / "fresh.yaml", "extends: default\nlimits: {max_length: 111}\n")
    clock.now = 2
    assert store.for_site("fresh").limits.max_length == 111


def test_bad_file_without_a_previous_version_raises(folder: Path) -> None:
    write(folder / "broken.yaml", "limits: 3\n")
    with pytest.raises(PolicyError, match=r"broken.yaml:1:9: limits must be a mapping"):
        PolicyStore(folder).for_site("broken")


def test_fix_by_adding_a_missing_word_file_is_picked_up(folder: Path) -> None:
    clock = Clock()
    store = PolicyStore(folder, clock=clock)
    store.for_site("news")
    write(folder / "news.yaml", "extends: default\nword_lists:\n  w: {file: extra.txt}\n", bump=1)
    clock.now = 2
    assert "w" not in store.for_site("news").matcher.lists  # refused: extra.txt is missing
    write(folder / "extra.txt", "idiot\n", bump=2)
    clock.now = 4
    assert "w" in store.for_site("news").matcher.lists


def test_file_changing_while_it_is_read_is_not_taken(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock()
    store = PolicyStore(folder, clock=clock)
    good = store.for_site("news")
    real_load = policies.store.load_policy

    def load_then_keep_writing(path: Path, categories: object = None) -> Policy:
        loaded = real_load(path, None)
        write(folder / "news.yaml", "extends: default\nlimits: {max_length: 42}\n", bump=3)
        return loaded

    write(folder / "news.yaml", "extends: default\n", bump=1)
    monkeypatch.setattr(policies.store, "load_policy", load_then_keep_writing)
    clock.now = 2
    assert store.for_site("news") is good
    monkeypatch.setattr(policies.store, "load_policy", real_load)
    clock.now = 4
    assert store.for_site("news").limits.max_length == 42


def test_empty_file_is_refused(folder: Path) -> None:
    write(folder / "empty.yaml", "# everything was deleted\n")
    with pytest.raises(PolicyError, match=r"empty\.yaml:1:1: policy file is empty"):
        PolicyStore(folder).for_site("empty")


def test_concurrent_callers_share_one_loaded_policy(folder: Path) -> None:
    store = PolicyStore(folder)
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: store.for_site("news"), range(200)))
    assert len({id(policy) for policy in results}) == 1
