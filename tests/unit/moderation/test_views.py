"""Actor strings and cursors of the moderator API."""

from __future__ import annotations

import pytest

from service.errors import ApiError
from service.moderation.views import decode_cursor, describe_actor, encode_cursor


@pytest.mark.parametrize(
    ("actor", "expected"),
    [
        ("moderator:7", ("moderator", 7, "Ann", None)),
        ("system:policy@abc123", ("system", None, None, "abc123")),
        ("system:reports@def456", ("system", None, None, "def456")),
        ("site", ("site", None, None, None)),
        ("moderator:x", ("moderator:x", None, None, None)),
    ],
)
def test_describe_actor(actor, expected):
    actor_type, moderator, version = describe_actor(actor, {7: "Ann"})
    found = (actor_type, moderator.id if moderator else None, moderator.name if moderator else None, version)
    assert found == expected


def test_cursor_round_trips():
    assert decode_cursor(encode_cursor([0.5, "01934f1e"]), 2) == [0.5, "01934f1e"]


@pytest.mark.parametrize("cursor", ["", "!!!", encode_cursor(["a"]), "eyJhIjoxfQ"])
def test_foreign_cursor_is_invalid(cursor):
    with pytest.raises(ApiError) as raised:
        decode_cursor(cursor, 2)
    assert (raised.value.status_code, raised.value.code) == (400, "invalid_cursor")
