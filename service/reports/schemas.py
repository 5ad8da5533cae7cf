"""What a site sends and receives for a reader's report."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec


class ReportCreate(msgspec.Struct, forbid_unknown_fields=True):
    reporter_id: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    note: Annotated[str, msgspec.Meta(max_length=2000)] | None = None


class ReportRead(msgspec.Struct):
    id: int
    comment_id: str
    reporter_id: str
    reason: str
    reports: int  # how many readers have reported this comment
    comment_status: str
    created_at: datetime
