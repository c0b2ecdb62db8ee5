"""Exporting a campaign's results (provisional or a published run) as CSV or XLSX (formula-safe: campaign.safe_export)."""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import get_locale
from flask_babel import gettext as _

from campaign.extensions import db
from campaign.labels import award_label, band_label
from campaign.models import Cluster, ScoreRun, Unit, UnitResult
from campaign.safe_export import XLSX_MIMETYPE, csv_text, xlsx_bytes
from campaign.services.errors import DomainError, NotFound
from campaign.services.results.recompute import provisional_run
from campaign.services.setup.campaigns import get_campaign
from campaign.services.setup.framework_cache import parsed

FORMATS = ("csv", "xlsx")
# A run's kind in the file name, in the same (Vietnamese, ASCII) words as the rest of the name: "ket-qua-…-tam-tinh-12.csv"
RUN_KIND_SLUGS = {"provisional": "tam-tinh", "snapshot": "chinh-thuc", "midterm": "so-ket"}


def _run(campaign_id: int, run_id: int | None) -> ScoreRun:
    if run_id is None:
        run = provisional_run(campaign_id)
    else:
        run = db.session.get(ScoreRun, run_id)
        if run is not None and run.campaign_id != campaign_id:
            run = None
    if run is None:
        raise NotFound(_("Chưa có kết quả để xuất."))
    return run


def table(campaign_id: int, run_id: int | None = None) -> tuple[ScoreRun, list[str], list[list]]:
    """(run, header, rows) ordered by level then rank; group scores as extra columns."""
    run = _run(campaign_id, run_id)
    rows = db.session.execute(
        sa.select(UnitResult, Unit.code, Unit.name, Cluster.code)
        .join(Unit, Unit.id == UnitResult.unit_id)
        .outerjoin(Cluster, Cluster.id == UnitResult.cluster_id)
        .where(UnitResult.run_id == run.id)
        .order_by(UnitResult.level, UnitResult.rank, Unit.code)).all()
    groups: list[str] = []
    for r, *_rest in rows:
        for g in (r.group_scores or {}):
            if g not in groups:
                groups.append(g)
    locale = str(get_locale() or "vi")
    names = {g.code: g.name for g in parsed(run.framework_version_id).groups} if run.framework_version_id else {}
    header = [_("Cấp"), _("Hạng"), _("Hạng trong cụm"), _("Đồng hạng"), _("Mã đơn vị"), _("Tên đơn vị"),
              _("Cụm"), _("Tổng điểm"), _("Điểm riêng"), _("Điểm tự chấm"), _("Xếp loại"), _("Đề nghị khen"),
              *[_group_header(g, names.get(g), locale) for g in groups]]
    bands = (run.settings or {}).get("bands") or (get_campaign(campaign_id).settings or {}).get("bands") or []
    out = []
    for r, code, name, cluster in rows:  # bands and awards as words in the reader's language (the API keeps codes)
        out.append([level_label(r.level), r.rank, r.rank_in_cluster, "x" if r.tied else "", code, name, cluster or "",
                    r.total, r.own_total, r.self_total, band_label(r.band, locale, bands) if r.band else "",
                    award_label(r.award),
                    *[(r.group_scores or {}).get(g) for g in groups]])
    return run, header, out


def level_label(level: int | None) -> str:
    """A board's level in words, as the results page names it ("Cấp huyện", "Cấp xã"), never its number."""
    if level == 2:
        return _("Cấp huyện")
    if level == 3:
        return _("Cấp xã")
    return _("Cấp %(level)s", level=level) if level is not None else ""


def _group_header(code: str, name: dict | None, locale: str) -> str:
    text = (name or {}).get(locale) or (name or {}).get("vi") if isinstance(name, dict) else None
    return f"{code} · {text}" if text else _("Nhóm %(code)s", code=code)


def export(campaign_id: int, fmt: str = "csv", run_id: int | None = None) -> tuple[bytes, str, str]:
    """(content, filename, mimetype)."""
    if fmt not in FORMATS:
        raise DomainError(_("Định dạng xuất không hợp lệ."))
    campaign = get_campaign(campaign_id)
    run, header, rows = table(campaign_id, run_id)
    base = f"ket-qua-{campaign.slug}-{RUN_KIND_SLUGS.get(run.kind, run.kind)}-{run.id}"
    if fmt == "csv":
        return csv_text(header, rows).encode("utf-8"), base + ".csv", "text/csv; charset=utf-8"
    return xlsx_bytes(_("Kết quả"), header, rows), base + ".xlsx", XLSX_MIMETYPE
