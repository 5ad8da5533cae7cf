"""The comparison point for the intake benchmark: a Litestar POST that only validates the same Struct."""

from __future__ import annotations

from litestar import Litestar, post

from service.comments.schemas import CommentCreate


@post("/v1/comments", status_code=202)
async def create(data: CommentCreate) -> dict[str, str]:
    return {"id": "0", "status": "pending"}


def app() -> Litestar:
    return Litestar([create])
