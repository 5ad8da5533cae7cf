"""Comment ids sort by creation time; secrets are shown once and stored only as hashes."""

from __future__ import annotations

import time
import uuid

from service.ids import hash_secret, new_secret, uuid7


def test_uuid7_is_a_valid_version_7_uuid() -> None:
    parsed = uuid.UUID(uuid7())
    assert (parsed.version, parsed.variant) == (7, uuid.RFC_4122)


def test_uuid7_sorts_by_creation_time() -> None:
    earlier = uuid7()
    time.sleep(0.002)
    assert uuid7() > earlier


def test_secrets_are_unique_and_hashed() -> None:
    first, second = new_secret("site"), new_secret("site")
    assert first != second and first.startswith("site_")
    assert hash_secret(first) != first and len(hash_secret(first)) == 64
