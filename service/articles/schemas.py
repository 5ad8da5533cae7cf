"""What clients send and receive for article options."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec


class ArticleUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """Fields left out keep their value; `null` clears a text field."""

    title: Annotated[str, msgspec.Meta(max_length=500)] | msgspec.UnsetType | None = msgspec.UNSET
    url: Annotated[str, msgspec.Meta(max_length=2000)] | msgspec.UnsetType | None = msgspec.UNSET
    section: Annotated[str, msgspec.Meta(max_length=100)] | msgspec.UnsetType | None = msgspec.UNSET
    closed: bool | msgspec.UnsetType = msgspec.UNSET
    premoderated: bool | msgspec.UnsetType = msgspec.UNSET


class ArticleRead(msgspec.Struct):
    id: str
    title: str | None
    url: str | None
    section: str | None
    closed: bool
    premoderated: bool
    created_at: datetime
    updated_at: datetime
