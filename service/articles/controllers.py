"""HTTP adapters for article options."""

from __future__ import annotations

from litestar import Controller, put

from service.articles.schemas import ArticleRead, ArticleUpdate
from service.articles.services import ArticleService
from service.sites.auth import SiteContext


class ArticleController(Controller):
    path = "/v1/articles"
    tags = ["articles"]

    @put("/{article_id:str}", operation_id="putArticle")
    async def put(
        self, article_id: str, data: ArticleUpdate, site: SiteContext, articles: ArticleService
    ) -> ArticleRead:
        """Create or change an article's title, url, section, `closed` and `premoderated`."""
        return await articles.put(site, article_id, data)
