"""Creating and updating an article's options."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import msgspec
import structlog
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from service.articles.schemas import ArticleRead, ArticleUpdate
from service.db.models import Article
from service.sites.auth import SiteContext

log = structlog.get_logger()


@dataclass(frozen=True, slots=True)
class ArticleService:
    engine: AsyncEngine

    async def put(self, site: SiteContext, external_id: str, data: ArticleUpdate) -> ArticleRead:
        changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
        now = datetime.now(UTC)
        where = (Article.site_id == site.id, Article.external_id == external_id)
        async with self.engine.begin() as conn:
            result = await conn.execute(update(Article).where(*where).values(**changes, updated_at=now))
            if result.rowcount == 0:
                defaults = {"closed": False, "premoderated": False}
                try:
                    async with conn.begin_nested():
                        await conn.execute(
                            insert(Article).values(
                                site_id=site.id,
                                external_id=external_id,
                                created_at=now,
                                updated_at=now,
                                **(defaults | changes),
                            )
                        )
                except IntegrityError:  # created concurrently: apply our change on top
                    await conn.execute(update(Article).where(*where).values(**changes, updated_at=now))
            row = (await conn.execute(select(Article.__table__).where(*where))).one()
        log.info("article.updated", article_id=external_id, fields=sorted(changes))
        return ArticleRead(
            id=row.external_id,
            title=row.title,
            url=row.url,
            section=row.section,
            closed=row.closed,
            premoderated=row.premoderated,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )
