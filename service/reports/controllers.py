"""HTTP adapter for reader reports (site API)."""

from __future__ import annotations

from litestar import Controller, post

from service.reports.schemas import ReportCreate, ReportRead
from service.reports.services import ReportService
from service.sites.auth import SiteContext


class ReportController(Controller):
    path = "/v1/comments"
    tags = ["comments"]

    @post("/{comment_id:str}/reports", operation_id="reportComment", status_code=201)
    async def report(
        self, comment_id: str, data: ReportCreate, site: SiteContext, reports: ReportService
    ) -> ReportRead:
        """Record a reader's report; enough reports put a published comment back in the moderation queue."""
        return await reports.report(site, comment_id, data)
