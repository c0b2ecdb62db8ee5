"""What-if previews and explanations: read-only views of the engine's computation.

A what-if re-runs :func:`scoring.campaign.compute_campaign` — the function that makes the real
results — under other settings, so its totals respect the same caps and its ranks show the
same ties; nothing is written.
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from campaign.extensions import db
from campaign.models import Assignment, CampaignUnit, IndicatorValue, JudgeScore, Override, ScoreRun, Unit, UnitResult
from campaign.services.errors import NotFound
from campaign.services.results import judged as judged_detail
from campaign.services.results import ledger, stored
from campaign.services.results.inputs import load_inputs
from campaign.services.results.ledger import raw_value
from campaign.services.setup.campaigns import get_campaign
from campaign.services.setup.framework_cache import framework_info
from campaign.services.submissions import derived
from campaign.sqlite import read_only_transactions
from scoring.aggregate import ZStats
from scoring.aggregate import aggregate as engine_aggregate
from scoring.campaign import compute_campaign
from scoring.entry import score_entry
from scoring.rules import NA, shown

WHAT_IF_SETTINGS = ("aggregation", "normalise", "trim_min_judges", "weights", "rollup", "tie_breaks", "bands",
                    "award_quota_pct", "top_per_cluster")


def what_if(campaign_id: int, settings_override: dict) -> dict:
    """Ranks under other settings, compared with the provisional result; writes nothing."""
    override = {k: v for k, v in (settings_override or {}).items() if k in WHAT_IF_SETTINGS}
    with read_only_transactions():
        c = get_campaign(campaign_id)
        # Ranking-only changes (weights, bands, tie-breaks, roll-up) re-rank the ledger's
        # subtotals; another aggregation or normalisation needs the judges' raw marks.
        from_raw = (c.ledger_stale or any(k in override for k in ledger.LEDGER_SETTINGS)
                    or not ledger.usable({**(c.settings or {}), **override}))
        inp = load_inputs(campaign_id, override, from_raw=from_raw)
        result = compute_campaign(inp.engine)
        current = {u: (r, t) for u, r, t in db.session.execute(
            sa.select(UnitResult.unit_id, UnitResult.rank, UnitResult.total)
            .join(ScoreRun, ScoreRun.id == UnitResult.run_id)
            .where(ScoreRun.campaign_id == campaign_id, ScoreRun.kind == "provisional")).all()}
        names = dict(db.session.execute(sa.select(Unit.id, Unit.name)
                                        .where(Unit.id.in_([r["unit_id"] for r in result.rows]))).all())
        db.session.rollback()
    rows = []
    for r in result.rows:
        cur_rank, cur_total = current.get(r["unit_id"], (None, None))
        rows.append({"unit_id": r["unit_id"], "name": names.get(r["unit_id"]), "level": r["level"],
                     "status": r["status"], "rank": r["rank"], "tied": r["tied"], "total": r["total"],
                     "band": r["band"], "current_rank": cur_rank, "current_total": cur_total,
                     "change": None if cur_rank is None or r["rank"] is None else cur_rank - r["rank"]})
    rows.sort(key=lambda x: (x["level"], x["rank"] is None, x["rank"] or 0, x["unit_id"]))
    return {"campaign_id": campaign_id, "settings": override, "rows": rows,
            "moved": sum(1 for x in rows if x["change"]), "digest": inp.digest,
            "inputs": "raw" if inp.from_raw else "ledger"}


def explain(run_id: int, unit_id: int) -> dict:
    """The stored explanation of a unit's result, enriched with each indicator's detail.

    The per-indicator detail (value, rule, points, each judge's points) is read from the
    current inputs and scored with ``score_entry``; ``detail_current`` says whether it still
    matches the run (it may not for an old snapshot). Under normalised judging the row stores
    only a hash of the entry's marks: the judges' normalised detail (``stored["judged"]``) is
    rebuilt from the marks and the run's statistics, exactly as the recompute had it while the
    entry's marks are those of the run (else ``detail_current`` is False).
    """
    row = db.session.scalar(sa.select(UnitResult).where(UnitResult.run_id == run_id,
                                                        UnitResult.unit_id == unit_id))
    if row is None:
        raise NotFound(_("Không tìm thấy kết quả của đơn vị."))
    run = db.session.get(ScoreRun, run_id)
    out = {"run_id": run_id, "run_kind": run.kind, "unit_id": unit_id, "total": row.total,
           "own_total": row.own_total, "rank": row.rank, "rank_in_cluster": row.rank_in_cluster,
           "tied": row.tied, "status": row.status, "band": row.band, "award": row.award,
           "stored": stored.full(row.explanation, row, run.settings or {}),
           "band_note": row.band_note, "interval_low": row.interval_low, "interval_high": row.interval_high}
    if isinstance(out["stored"].get("rollup"), dict):
        out["rollup_units"] = _rollup_unit_names(run.campaign_id, out["stored"]["rollup"])
    if row.entry_id is None or run.framework_version_id is None or (
            row.status == "not_submitted" and run.kind != "provisional"):
        return out  # a published "not submitted" row never shows the draft's detail
    info = framework_info(run.framework_version_id)
    nodes = info.fw.indicators()
    values: dict[str, Any] = {}
    for iid, _pts, is_na_flag, vnum, vtext in db.session.execute(
            sa.select(IndicatorValue.indicator_id, IndicatorValue.points, IndicatorValue.is_na,
                      IndicatorValue.value_num, IndicatorValue.value_text)
            .where(IndicatorValue.entry_id == row.entry_id)).all():
        j = info.col_of.get(iid)
        if j is not None:
            values[nodes[j].code] = raw_value(nodes[j], vnum, vtext, is_na_flag)
        elif is_na_flag and iid in info.node_code:  # a criterion marked N/A as a whole
            values[info.node_code[iid]] = NA
    judges: dict[str, list] = {}
    marks = db.session.execute(
        sa.select(JudgeScore.indicator_id, Assignment.judge_id, JudgeScore.points)
        .join(Assignment, Assignment.id == JudgeScore.assignment_id)
        .where(Assignment.entry_id == row.entry_id, Assignment.status == "submitted")
        .order_by(Assignment.judge_id)).all()
    for iid, jid, pts in marks:
        j = info.col_of.get(iid)
        if j is not None:
            judges.setdefault(nodes[j].code, []).append({"judge_id": jid, "points": float(pts)})
    settings = run.settings or {}
    marks_current = True
    kept = out["stored"].get("judged")
    if isinstance(kept, dict) and set(kept) == {"marks"}:  # normalised: rebuilt, not stored
        detail, digest, exact = judged_detail.entry_detail(info, settings, ZStats.from_json(run.normalisation or {}),
                                                           [tuple(m) for m in marks]) if run.normalisation else ({}, "", False)
        out["stored"]["judged"] = detail
        marks_current = exact and digest == kept["marks"]
    judged = {code: engine_aggregate([p["points"] for p in lst], settings.get("aggregation", "mean"),
                                     int(settings.get("trim_min_judges", 3) or 3))
              for code, lst in judges.items()}
    overrides = {t: float(p) for t, p in db.session.execute(
        sa.select(Override.target, Override.points).where(Override.entry_id == row.entry_id,
                                                          Override.active.is_(True))
        .order_by(Override.id)).all()}
    stored_judged = out["stored"].get("judged") or {}  # normalised aggregates
    for code, d in stored_judged.items():  # normalised aggregates are only known to the run
        judged[code] = d["agg"]
    es = score_entry(info.fw, values, judged, overrides, unit=derived.unit_context(unit_id))
    detail = es.to_explanation()
    for ind in detail["indicators"]:
        ind["judges"] = judges.get(ind["code"], [])
    out["indicators"] = detail["indicators"]
    out["groups_detail"] = detail["groups"]
    out["detail_current"] = marks_current and (row.own_total is None or shown(es.total) == row.own_total)
    return out


def _rollup_unit_names(campaign_id: int, rollup: dict) -> dict[str, dict]:
    """{unit code: {name, name_en}} of the communes a roll-up lists (the row keeps codes only)."""
    codes: set[str] = set()

    def walk(components) -> None:
        for part in components or []:
            if isinstance(part, dict):
                if part.get("unit_code"):
                    codes.add(part["unit_code"])
                walk(part.get("components"))

    walk(rollup.get("components"))
    if not codes:
        return {}
    return {code: {"name": name, "name_en": name_en} for code, name, name_en in db.session.execute(
        sa.select(Unit.code, Unit.name, Unit.name_en).join(CampaignUnit, CampaignUnit.unit_id == Unit.id)
        .where(CampaignUnit.campaign_id == campaign_id, Unit.code.in_(sorted(codes))))}
