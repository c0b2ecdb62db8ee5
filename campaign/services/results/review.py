"""The commission's results pages, and what the read-only *viewer* role may see of them.

Viewer scope (decided for issue 13 #12, enforced here and by ``@allow`` on the routes):

* published results (snapshots and mid-term reviews) of every campaign, with their exports;
* provisional totals, ranks, bands and awards, with their export;
* never individual judges' marks (the per-unit explanation is admin-only), never what-if
  previews (admin-only), never a what-if run's export;
* in a blind campaign (``settings.blind``), nothing provisional before the final publication
  (campaign status ``published`` or ``closed``): the viewer sees only what was published.

Views pass the caller's role as a plain value; services never read the request.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from campaign.extensions import db
from campaign.models import Campaign, Cluster, ScoreRun, Unit, UnitResult
from campaign.services.errors import DomainError, Forbidden, NotFound
from campaign.services.results import export as results_export
from campaign.services.results.freshness import enqueue_recompute
from campaign.services.results.progress import progress
from campaign.services.results.publishing import latest_runs
from campaign.services.results.whatif import explain as explain_unit
from campaign.services.results.whatif import what_if
from campaign.services.setup.campaigns import get_campaign, list_campaigns

PAGE_SIZE = 200
VIEWER_RUN_KINDS = ("provisional", "snapshot", "midterm")
FINAL_STATUSES = ("published", "closed")


def provisional_visible(campaign: Campaign, role: str) -> bool:
    """Whether ``role`` may see this campaign's provisional result (the viewer rule above)."""
    if role == "admin":
        return True
    blind = bool((campaign.settings or {}).get("blind"))
    return not blind or campaign.status in FINAL_STATUSES


def _visible_campaign(campaign_id: int, role: str) -> Campaign:
    campaign = get_campaign(campaign_id)
    if not provisional_visible(campaign, role):
        raise Forbidden(_("Phong trào chấm kín: kết quả tạm tính chỉ được xem sau khi công bố kết quả."))
    return campaign


@dataclass
class ResultsPage:
    campaign: Campaign
    run: ScoreRun | None
    published: list[ScoreRun]
    status: dict
    visible: bool = True  # False: a viewer in a blind campaign before publication (nothing provisional)
    levels: list[int] = field(default_factory=list)
    level: int | None = None
    page: int = 1
    pages: int = 1
    rows: list[Any] = field(default_factory=list)

    @property
    def show_intervals(self) -> bool:
        return bool((self.campaign.settings or {}).get("show_intervals"))


def campaigns_overview(role: str) -> list[dict]:
    """Non-archived campaigns, newest first, each with its provisional run and whether ``role`` may open it."""
    rows = list_campaigns()
    runs = {r.campaign_id: r for r in db.session.scalars(
        sa.select(ScoreRun).where(ScoreRun.kind == "provisional",
                                  ScoreRun.campaign_id.in_([row["campaign"].id for row in rows])))}
    return [{"campaign": row["campaign"], "run": runs.get(row["campaign"].id),
             "visible": provisional_visible(row["campaign"], role)} for row in rows]


def results_page(campaign_id: int, role: str, level: int | None = None, page: int = 1) -> ResultsPage:
    """The provisional ranked table of one level, a page at a time, with freshness and publications."""
    campaign = get_campaign(campaign_id)
    runs = latest_runs(campaign_id)
    out = ResultsPage(campaign=campaign, run=None, published=runs["published"], status=progress(campaign_id))
    if not provisional_visible(campaign, role):
        out.visible = False
        return out  # the page still lists what was published
    run = out.run = runs["provisional"]
    if run is None:
        return out
    out.levels = sorted(db.session.scalars(sa.select(UnitResult.level).where(UnitResult.run_id == run.id).distinct()))
    out.level = level if level in out.levels else (out.levels[0] if out.levels else None)
    q = (sa.select(UnitResult, Unit.code, Unit.name, Cluster.name, Unit.name_en, Cluster.name_en)  # names in both languages
         .join(Unit, Unit.id == UnitResult.unit_id)
         .outerjoin(Cluster, Cluster.id == UnitResult.cluster_id)
         .where(UnitResult.run_id == run.id, UnitResult.level == out.level))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(q.subquery())) or 0
    out.pages = max(1, -(-total // PAGE_SIZE))
    out.page = min(max(1, page), out.pages)
    out.rows = db.session.execute(q.order_by(UnitResult.rank.is_(None), UnitResult.rank, UnitResult.total.desc(), Unit.code)
                                  .limit(PAGE_SIZE).offset((out.page - 1) * PAGE_SIZE)).all()
    return out


def status(campaign_id: int, role: str) -> dict:
    """Freshness and progress (for the page's poller); refused where the provisional result is."""
    _visible_campaign(campaign_id, role)
    return progress(campaign_id)


def request_recompute(campaign_id: int) -> bool:
    """Queue a recompute now (no coalescing); False when the queue is down (the sweep catches up)."""
    get_campaign(campaign_id)
    return enqueue_recompute(campaign_id, coalesce=False)


def explanation(campaign_id: int, run_id: int, unit_id: int) -> tuple[Campaign, ScoreRun, Unit | None, dict]:
    """(campaign, run, unit, explanation) of one unit's result; judges' marks included (admin only)."""
    campaign = get_campaign(campaign_id)
    run = db.session.get(ScoreRun, run_id)
    if run is None or run.campaign_id != campaign_id:
        raise NotFound(_("Không tìm thấy kết quả của đơn vị."))
    data = explain_unit(run_id, unit_id)
    return campaign, run, db.session.get(Unit, unit_id), data


def export(campaign_id: int, role: str, fmt: str, run_id: int | None) -> tuple[bytes, str, str]:
    """(content, filename, mimetype) of a run's export; a viewer gets published runs and visible provisional ones."""
    campaign = get_campaign(campaign_id)
    if role != "admin":
        run = db.session.get(ScoreRun, run_id) if run_id is not None else None
        if run_id is not None and (run is None or run.campaign_id != campaign_id or run.kind not in VIEWER_RUN_KINDS):
            raise NotFound(_("Chưa có kết quả để xuất."))
        if (run is None or run.kind == "provisional") and not provisional_visible(campaign, role):
            raise Forbidden(_("Phong trào chấm kín: kết quả tạm tính chỉ được xem sau khi công bố kết quả."))
    return results_export.export(campaign_id, fmt, run_id)


@dataclass
class WhatIfPreview:
    campaign: Campaign
    result: dict | None = None
    error: str | None = None


def what_if_preview(campaign_id: int, override: dict | None) -> WhatIfPreview:
    """A preview under other settings (none when ``override`` is None); writes nothing (admin only).

    A refused setting (e.g. a weight for a group that does not exist) comes back as ``error``,
    shown next to the form that is kept as typed.
    """
    preview = WhatIfPreview(get_campaign(campaign_id))
    if override is not None:
        try:
            preview.result = what_if(campaign_id, override)
        except NotFound:
            raise
        except DomainError as exc:
            preview.error = exc.message
    return preview
