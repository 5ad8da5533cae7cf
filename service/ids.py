"""Identifiers and secrets: time-ordered comment ids, API keys and their stored hashes."""

from __future__ import annotations

import hashlib
import os
import secrets
import time
import uuid


def uuid7() -> str:
    """RFC 9562 UUIDv7: millisecond time prefix, so ids sort by creation and index well."""
    millis = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (millis & ((1 << 48) - 1)) << 80 | 0x7 << 76 | (rand >> 68 & 0xFFF) << 64 | 0b10 << 62
    value |= rand & ((1 << 62) - 1)
    return str(uuid.UUID(int=value))


def new_secret(prefix: str) -> str:
    """A bearer secret shown once; 32 random bytes make a fast hash as safe as a slow one."""
    return f"{prefix}_{secrets.token_urlsafe(32)}"


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
