"""Serving per-site policies to workers: cached, reloaded when files change, last good version kept."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path

import structlog

from policies.loader import NAME, load_policy
from policies.model import Policy, PolicyError

log = structlog.get_logger()

DEFAULT = "default"
CHECK_INTERVAL_SECONDS = 1.0

_Fingerprint = tuple[tuple[str, int, int] | None, ...]


def _stat(path: str | Path) -> tuple[str, int, int] | None:
    try:
        info = Path(path).stat()
    except OSError:
        return None
    return str(path), info.st_mtime_ns, info.st_size


@dataclass
class _Entry:
    policy: Policy
    fingerprint: _Fingerprint
    checked_at: float
    # After a failed reload: the state of the whole folder, since the fix may be a file the broken
    # version names but the good one does not (a word list added later).
    failed_folder: _Fingerprint | None = None


class PolicyStore:
    """Thread-safe source of each site's policy: `<slug>.yaml`, else `default.yaml`."""

    def __init__(
        self,
        directory: Path,
        known_categories: Collection[str] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.directory = Path(directory)
        self.known_categories = known_categories
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[str, _Entry] = {}

    def _path_for(self, site_slug: str) -> Path:
        # Only plain names: "../x" or "a/b" must never reach the filesystem.
        if not NAME.match(site_slug):
            raise ValueError(f"invalid site slug {site_slug!r}")
        site = self.directory / f"{site_slug}.yaml"
        return site if site_slug != DEFAULT and site.is_file() else self.directory / f"{DEFAULT}.yaml"

    def _fingerprint(self, site_slug: str, policy: Policy) -> _Fingerprint:
        # The site file's own presence counts, so a new or deleted site file is noticed.
        return (_stat(self.directory / f"{site_slug}.yaml"), *(_stat(path) for path in policy.files))

    def _folder(self) -> _Fingerprint:
        return tuple(sorted(filter(None, (_stat(path) for path in self.directory.rglob("*") if path.is_file()))))

    def _unchanged(self, site_slug: str, entry: _Entry) -> bool:
        if entry.failed_folder is not None:
            return self._folder() == entry.failed_folder
        return self._fingerprint(site_slug, entry.policy) == entry.fingerprint

    def for_site(self, site_slug: str) -> Policy:
        """The site's current policy; raises PolicyError only if no good version was ever loaded."""
        path = self._path_for(site_slug)
        with self._lock:
            now = self._clock()
            entry = self._entries.get(site_slug)
            if entry is not None and now - entry.checked_at < CHECK_INTERVAL_SECONDS:
                return entry.policy
            if entry is not None and self._unchanged(site_slug, entry):
                entry.checked_at = now
                return entry.policy
            before = _stat(path)
            try:
                policy = load_policy(path, self.known_categories)
            except PolicyError as error:
                if entry is None:
                    raise
                log.error(
                    "policy.reload_failed",
                    site=site_slug,
                    file=str(path),
                    errors=[str(issue) for issue in error.errors],
                    kept_version=entry.policy.version,
                )
                # Retry once files change again, not on every call.
                entry.failed_folder = self._folder()
                entry.checked_at = now
                return entry.policy
            if entry is not None and _stat(path) != before:
                # The file changed while it was read (a save in progress): keep the old one, retry next check.
                entry.checked_at = now
                return entry.policy
            self._entries[site_slug] = _Entry(policy, self._fingerprint(site_slug, policy), now)
            if entry is not None and entry.policy.version != policy.version:
                log.info("policy.reloaded", site=site_slug, version=policy.version, previous=entry.policy.version)
            return policy
