"""Turning stored rows into the moderator API's answers: actors, claims, history entries, cursors."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from service.errors import ApiError
from service.moderation.schemas import ClaimRead, HistoryEntry, ModeratorRef

MODERATOR_PREFIX = "moderator:"
SYSTEM_PREFIX = "system:"


def utc(value: datetime) -> datetime:
    # SQLite hands back naive UTC; PostgreSQL aware values.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def optional_utc(value: datetime | None) -> datetime | None:
    return None if value is None else utc(value)


def moderator_id_of(actor: str) -> int | None:
    if actor.startswith(MODERATOR_PREFIX):
        tail = actor.removeprefix(MODERATOR_PREFIX)
        return int(tail) if tail.isdigit() else None
    return None


def moderator_ids(actors: Iterable[str]) -> set[int]:
    return {found for actor in actors if (found := moderator_id_of(actor)) is not None}


def describe_actor(actor: str, names: dict[int, str]) -> tuple[str, ModeratorRef | None, str | None]:
    """(actor_type, moderator, policy_version) for an actor string of the history."""
    found = moderator_id_of(actor)
    if found is not None:
        return "moderator", ModeratorRef(found, names.get(found, "")), None
    if actor.startswith(SYSTEM_PREFIX):
        _, _, version = actor.partition("@")
        return "system", None, version or None
    return actor, None, None


def history_entry(row: Any, names: dict[int, str]) -> HistoryEntry:
    actor_type, moderator, policy_version = describe_actor(row.actor, names)
    return HistoryEntry(
        id=row.id,
        actor=row.actor,
        actor_type=actor_type,
        moderator=moderator,
        policy_version=policy_version,
        from_status=row.from_status,
        to_status=row.to_status,
        reason=row.reason,
        note=row.note,
        at=utc(row.created_at),
    )


def actor_details(actor: str, at: datetime, names: dict[int, str]) -> dict[str, Any]:
    """Who and when, for a 409 answer."""
    actor_type, moderator, policy_version = describe_actor(actor, names)
    return {
        "by": {
            "actor": actor,
            "actor_type": actor_type,
            "moderator": {"id": moderator.id, "name": moderator.name} if moderator else None,
            "policy_version": policy_version,
        },
        "at": utc(at).isoformat(),
    }


def claim_read(comment_id: str, moderator_id: int, name: str, claimed_at: datetime, expires_at: datetime) -> ClaimRead:
    return ClaimRead(comment_id, ModeratorRef(moderator_id, name), utc(claimed_at), utc(expires_at))


def encode_cursor(values: Sequence[Any]) -> str:
    raw = json.dumps(list(values), default=str, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, size: int) -> list[Any]:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, UnicodeDecodeError):
        values = None
    if not isinstance(values, list) or len(values) != size:
        raise ApiError(400, "invalid_cursor", "The cursor is not one this API gave out.", field="cursor")
    return values
