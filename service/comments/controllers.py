"""HTTP adapters for comments: parse, call the service, answer."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, delete, get, post
from litestar.params import Parameter

from service.comments.schemas import CommentCreate, CommentRead, ThreadPage
from service.comments.services import CommentService
from service.sites.auth import SiteContext

IdempotencyKey = Annotated[str | None, Parameter(header="Idempotency-Key", max_length=200, required=False)]


class CommentController(Controller):
    path = "/v1"
    tags = ["comments"]

    @post("/comments", operation_id="createComment", status_code=202)
    async def create(
        self, data: CommentCreate, site: SiteContext, comments: CommentService, idempotency_key: IdempotencyKey = None
    ) -> Response[dict[str, Any]]:
        """Check and store a comment; 202 once it is durably stored and queued for moderation."""
        status, body = await comments.submit(site, data, idempotency_key)
        return Response(body, status_code=status)

    @get("/comments/{comment_id:str}", operation_id="getComment")
    async def read(self, comment_id: str, site: SiteContext, comments: CommentService) -> CommentRead:
        """A comment of this site with its moderation status."""
        return await comments.read(site, comment_id)

    @delete("/comments/{comment_id:str}", operation_id="deleteComment", status_code=200)
    async def remove(self, comment_id: str, site: SiteContext, comments: CommentService) -> CommentRead:
        """Mark a comment deleted; it stays in the audit history."""
        return await comments.delete(site, comment_id)

    @get("/articles/{article_id:str}/comments", operation_id="listArticleComments")
    async def thread(
        self,
        request: Request[Any, Any, Any],
        article_id: str,
        site: SiteContext,
        comments: CommentService,
        limit: Annotated[int, Parameter(ge=1, le=100)] = 50,
        cursor: Annotated[str | None, Parameter(max_length=100)] = None,
    ) -> Response[bytes]:
        """Published comments, oldest first, replies under their parents; pages of top-level threads."""
        page: ThreadPage = await comments.thread(site, article_id, limit, cursor)
        body = msgspec.json.encode(page)
        etag = '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'
        headers = {"ETag": etag, "Cache-Control": "no-cache"}
        if etag in request.headers.get("if-none-match", ""):
            return Response(b"", status_code=304, headers=headers)
        return Response(body, media_type="application/json", headers=headers)
