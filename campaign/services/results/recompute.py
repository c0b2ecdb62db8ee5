"""Provisional results, published snapshots and what-if previews of a campaign.

Inputs come from one of two readers (performance-reliability §4):

* the **ledger** (:mod:`.ledger`): each entry's points already summed per framework node,
  kept current by the changes themselves — one range scan of ~16 rows per entry;
* the **raw tables**, set-based: SQL sums each entry's stored rule points per parent node
  (``GROUP BY entry, parent``) and aggregates submitted judges' scores per (entry,
  indicator); used when the ledger awaits a rebuild (settings or framework changes, bulk
  loads, first run), for forced recomputes, normalised judging and what-if previews. It
  then rewrites the ledger.

Both give the same per-node subtotals; numpy then walks the framework tree (caps, scale,
bonus/penalty) for all units at once, mirroring :func:`scoring.entry.score_entry`. Only the
rare entries with council overrides go through ``score_entry`` one by one. Roll-up,
ranking, bands and awards use :mod:`scoring`.

Freshness protocol (``Campaign.inputs_version`` / ``computed_version``):

1. read ``v = inputs_version`` and all inputs in a read-only transaction (no write lock);
2. compute in memory;
3. in ONE write transaction: ``UPDATE campaign SET computed_version = v … WHERE
   computed_version < v`` — if no row matches, a newer (or equal) result is already in
   place and this run discards itself — then replace the provisional run's rows (and the
   ledger, when read from raw tables and nothing changed since ``v``).
   ``stale_since`` is cleared only if ``inputs_version`` still equals ``v``; otherwise the
   campaign stays stale and the sweep / the pending task recomputes again.

The same inputs give the same ``inputs_digest``; when the digest is unchanged the rows are
kept as they are (identical result) and only the version bookkeeping moves.
"""
from __future__ import annotations

import gc
import hashlib
import json
import logging
import math
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from scoring.aggregate import JudgeScore as EngineJudgeScore
from scoring.aggregate import aggregate as engine_aggregate
from scoring.aggregate import zscore_normalise
from scoring.entry import score_entry
from scoring.ranking import Band, Ranked, classify, propose_awards, rank_arrays, tie_break_name
from scoring.rollup import CommuneResult, rollup

from campaign.extensions import db
from campaign.models import (Assignment, Campaign, CampaignUnit, Entry, IndicatorNode, IndicatorValue, JudgeScore,
                      Override, ScoreRun, Unit, UnitResult)
from campaign.models.base import utcnow
from campaign.sqlite import read_only_transactions
from campaign.services import audit
from campaign.services.results import ledger
from campaign.services.errors import Conflict, DomainError, NotFound
from campaign.services.results.fastsql import as_matrix, fetch
from campaign.services.setup.framework_cache import FrameworkInfo, framework_info
from campaign.services.results.ledger import Subtotals, raw_value, rule_points

log = logging.getLogger(__name__)

PROGRESS_KEY = "thidua:recompute-progress:{}"
AGGREGATIONS = ("mean", "median", "trimmed_mean")


class RetryableError(Exception):
    """A transient failure (database locked, connection lost): the task retries."""


# --------------------------------------------------------------------------- inputs

@dataclass
class Inputs:
    campaign_id: int
    inputs_version: int
    status: str
    settings: dict
    info: FrameworkInfo
    unit_ids: np.ndarray
    entry_ids: list  # per unit, None without entry
    levels: list
    parents: list
    populations: list
    clusters: list
    unit_codes: list
    self_totals: list
    first_submitted: list  # epoch seconds or None
    sub: Subtotals  # units × nodes holding indicators
    overrides: dict  # row -> {target: points}
    override_reasons: dict  # row -> {target: reason}
    sources: dict = field(default_factory=dict)  # row -> {code: normalised judges' detail}
    from_raw: bool = False  # read from the raw tables (the ledger may be rewritten from it)
    digest: str = ""


def _settings(campaign: Campaign, override: dict | None) -> dict:
    s = dict(campaign.settings or {})
    if override:
        s.update(override)
    return s


def _epoch(dt) -> float | None:
    return None if dt is None else dt.timestamp()


def load_inputs(campaign_id: int, settings_override: dict | None = None, *, from_raw: bool = True) -> Inputs:
    """Read every input of a campaign's result with a handful of set-based queries.

    ``from_raw=False`` reads the ledger instead of values and judges' scores; it is only
    valid when the campaign's ledger is current and the settings allow it.
    """
    c = db.session.get(Campaign, campaign_id)
    if c is None:
        raise NotFound(_("Không tìm thấy phong trào."))
    if c.framework_version_id is None:
        raise DomainError(_("Phong trào chưa có bảng chấm điểm."))
    inputs_version = c.inputs_version
    settings = _settings(c, settings_override)
    if settings.get("aggregation", "mean") not in AGGREGATIONS:
        raise DomainError(_("Phương pháp tổng hợp điểm giám khảo không hợp lệ."))
    info = framework_info(c.framework_version_id)

    parts = db.session.execute(
        sa.select(CampaignUnit.unit_id, CampaignUnit.cluster_id, Unit.level, Unit.parent_id,
                  Unit.population, Unit.code, Entry.id, Entry.self_total, Entry.first_submitted_at)
        .join(Unit, Unit.id == CampaignUnit.unit_id)
        .outerjoin(Entry, sa.and_(Entry.campaign_id == CampaignUnit.campaign_id,
                                  Entry.unit_id == CampaignUnit.unit_id))
        .where(CampaignUnit.campaign_id == campaign_id)
        .order_by(CampaignUnit.unit_id)).all()
    n = len(parts)
    entry_ids = [p[6] for p in parts]
    ent_arr = np.array([e if e is not None else -1 for e in entry_ids], dtype=np.int64)

    def rows_for(entry_col: np.ndarray) -> np.ndarray:
        """Unit row of each entry id (-1 for entries not among the participants)."""
        return ledger.index_of(ent_arr, entry_col)

    if from_raw:
        sub, sources = _read_raw(campaign_id, info, settings, n, entry_ids, ent_arr, rows_for)
    else:
        sub, sources = ledger.read(campaign_id, info, n, rows_for, ledger.used_figures(settings)), {}

    row_of_entry = {e: i for i, e in enumerate(entry_ids) if e is not None}
    overrides: dict[int, dict] = {}
    reasons: dict[int, dict] = {}
    for eid, target, pts, reason in db.session.execute(
            sa.select(Override.entry_id, Override.target, Override.points, Override.reason)
            .join(Entry, Entry.id == Override.entry_id)
            .where(Entry.campaign_id == campaign_id, Override.active.is_(True))
            .order_by(Override.id)).all():
        if eid in row_of_entry:
            overrides.setdefault(row_of_entry[eid], {})[target] = float(pts)
            reasons.setdefault(row_of_entry[eid], {})[target] = reason

    inp = Inputs(
        campaign_id=campaign_id, inputs_version=inputs_version, status=c.status, settings=settings, info=info,
        unit_ids=np.array([p[0] for p in parts], dtype=np.int64), entry_ids=entry_ids,
        levels=[p[2] for p in parts], parents=[p[3] for p in parts], populations=[p[4] for p in parts],
        clusters=[p[1] for p in parts], unit_codes=[p[5] for p in parts], self_totals=[p[7] for p in parts],
        first_submitted=[_epoch(p[8]) for p in parts], sub=sub, overrides=overrides, override_reasons=reasons,
        sources=sources, from_raw=from_raw)
    inp.digest = _digest(inp)
    return inp


def _read_raw(campaign_id: int, info: FrameworkInfo, settings: dict, n: int, entry_ids: list,
              ent_arr: np.ndarray, rows_for) -> tuple[Subtotals, dict]:
    """Per-node subtotals from values and judges' scores (set-based), and normalised detail."""
    nind = len(info.compiled.codes)
    row_of_entry = {e: i for i, e in enumerate(entry_ids) if e is not None}
    method = settings.get("aggregation", "mean")
    normalise = bool(settings.get("normalise"))
    trim_min = int(settings.get("trim_min_judges", 3) or 3)

    judged_agg = np.full((n, nind), np.nan)
    judged_min = np.full((n, nind), np.nan)
    judged_max = np.full((n, nind), np.nan)
    judged_n = np.zeros((n, nind))
    judge_points: dict = {}
    submitted = (sa.select(Assignment.id.label("aid"), Assignment.entry_id.label("eid"),
                           Assignment.judge_id.label("jid"))
                 .join(Entry, Entry.id == Assignment.entry_id)
                 .where(Entry.campaign_id == campaign_id, Assignment.status == "submitted")
                 .subquery())
    ind_keys = np.array(info.ind_ids, dtype=np.int64)

    if method == "median" or normalise:
        # Row by row over the judged scores only (median / z-scores are not plain SQL).
        raw = db.session.execute(
            sa.select(submitted.c.eid, JudgeScore.indicator_id, submitted.c.jid, JudgeScore.points)
            .join(submitted, submitted.c.aid == JudgeScore.assignment_id)).all()
        if normalise:
            # Penalty points are deductions (≤ 0): z-scores are for the judges' marks only, so
            # penalties keep their raw value (as the council page does).
            mp, rules = info.compiled.max_points, info.compiled.rules
            rows = [r for r in raw if r[1] in info.col_of and r[0] in row_of_entry]
            penalty = [r for r in rows if rules[info.col_of[r[1]]].kind == "penalty"]
            scores = [EngineJudgeScore(jid, (eid, iid), float(p), float(mp[info.col_of[iid]]))
                      for eid, iid, jid, p in rows if rules[info.col_of[iid]].kind != "penalty"]
            normed = zscore_normalise(scores)
            raw = [(s.item_id[0], s.item_id[1], s.judge_id, s.points) for s in normed] + penalty
        for eid, iid, jid, p in raw:
            if iid in info.col_of and eid in row_of_entry:
                judge_points.setdefault((row_of_entry[eid], info.col_of[iid]), []).append((jid, float(p)))
        for (i, j), lst in judge_points.items():
            pts = [p for _j, p in lst]
            judged_agg[i, j] = engine_aggregate(pts, method, trim_min)
            judged_min[i, j], judged_max[i, j], judged_n[i, j] = min(pts), max(pts), len(pts)
    else:
        # Σ / count / min / max per (entry, indicator), in SQL. (Running it on a second
        # connection in parallel with the value scan was measured slower on this 2-core
        # machine with SQLite: both queries slowed down ~2×.)
        agg = fetch(
            sa.select(submitted.c.eid, JudgeScore.indicator_id, sa.func.count(), sa.func.sum(JudgeScore.points),
                      sa.func.min(JudgeScore.points), sa.func.max(JudgeScore.points))
            .join(submitted, submitted.c.aid == JudgeScore.assignment_id)
            .group_by(submitted.c.eid, JudgeScore.indicator_id))
        if agg:
            a = as_matrix(agg, 6)
            rows, cols = rows_for(a[:, 0].astype(np.int64)), ledger.index_of(ind_keys, a[:, 1].astype(np.int64))
            keep = (rows >= 0) & (cols >= 0)
            a, rows, cols = a[keep], rows[keep], cols[keep]
            cnt, tot, lo, hi = a[:, 2], a[:, 3], a[:, 4], a[:, 5]
            if method == "trimmed_mean":
                trim = cnt >= max(trim_min, 3)
                val = np.where(trim, (tot - lo - hi) / np.where(trim, cnt - 2, 1), tot / cnt)
            else:
                val = tot / cnt
            judged_agg[rows, cols] = np.round(val, 4)
            judged_n[rows, cols] = cnt
            judged_min[rows, cols], judged_max[rows, cols] = lo, hi

    # Columns whose points may come from judges (judged/manual rules, and any column with a
    # judge's score) are left out of the per-node sums; their stored values are read only
    # where an entry has no judges' score on them. Every other stored point is summed per
    # (entry, parent node) in SQL — ONE scan of the campaign's values, which also counts the
    # rows that need Python (not applicable / saved without points).
    judged_cols = set(np.nonzero(judged_n.any(axis=0))[0].tolist())
    row_cols = set(info.row_cols) | judged_cols
    ok = sa.and_(IndicatorValue.is_na.is_(False), IndicatorValue.points.is_not(None))
    excluded = [info.ind_ids[j] for j in sorted(row_cols)]
    sums = fetch(
        sa.select(IndicatorValue.entry_id, IndicatorNode.parent_id,
                  sa.func.sum(sa.case((ok, IndicatorValue.points), else_=0.0)),
                  sa.func.sum(sa.case((ok, 0), else_=1)))
        .join(Entry, Entry.id == IndicatorValue.entry_id)
        .join(IndicatorNode, IndicatorNode.id == IndicatorValue.indicator_id)
        .where(Entry.campaign_id == campaign_id,
               *((IndicatorValue.indicator_id.not_in(excluded),) if excluded else ()))
        .group_by(IndicatorValue.entry_id, IndicatorNode.parent_id))

    k = len(info.leaf_parents)
    base = np.zeros((n, k))
    row_points = np.zeros((n, nind))
    nodes = info.fw.indicators()
    special_entries: list[int] = []
    if sums:
        s = as_matrix(sums, 4)
        rows = rows_for(s[:, 0].astype(np.int64))
        cols = ledger.index_of(np.array(info.leaf_parent_ids, dtype=np.int64), s[:, 1].astype(np.int64))
        keep = (rows >= 0) & (cols >= 0)
        np.add.at(base, (rows[keep], cols[keep]), s[keep, 2])
        special_entries = sorted(set(s[keep & (s[:, 3] > 0), 0].astype(np.int64).tolist()))

    def read_row_values(*where) -> None:
        """Stored values of row-read columns (rule points; Python for n/a or point-less rows)."""
        for eid, iid, pts_db, is_na_flag, vnum, vtext in fetch(
                sa.select(IndicatorValue.entry_id, IndicatorValue.indicator_id, IndicatorValue.points,
                          IndicatorValue.is_na, IndicatorValue.value_num, IndicatorValue.value_text)
                .where(*where)):
            j, i = info.col_of.get(iid), row_of_entry.get(eid)
            if j is not None and i is not None:
                row_points[i, j] = rule_points(nodes[j], pts_db, is_na_flag, vnum, vtext)

    # Row-read columns nobody judged in this campaign (e.g. manual points): read per column.
    unjudged = [info.ind_ids[j] for j in sorted(row_cols - judged_cols)]
    if unjudged:
        read_row_values(IndicatorValue.entry_id.in_(sa.select(Entry.id).where(Entry.campaign_id == campaign_id)),
                        IndicatorValue.indicator_id.in_(unjudged))
    # Entries that some judged column's judges left unscored: read their row-read values.
    jc = sorted(judged_cols)
    if jc:
        lacking = np.nonzero((judged_n[:, jc] == 0).any(axis=1) & (ent_arr >= 0))[0]
        fallback_entries = sorted(int(ent_arr[i]) for i in lacking)
        row_ids = [info.ind_ids[j] for j in sorted(row_cols)]
        for start in range(0, len(fallback_entries), ledger.CHUNK):
            read_row_values(IndicatorValue.entry_id.in_(fallback_entries[start:start + ledger.CHUNK]),
                            IndicatorValue.indicator_id.in_(row_ids))
    # Values summed in SQL that need Python (not applicable / stored without points).
    for start in range(0, len(special_entries), ledger.CHUNK):
        for eid, iid, pts, is_na_flag, vnum, vtext in fetch(
                sa.select(IndicatorValue.entry_id, IndicatorValue.indicator_id, IndicatorValue.points,
                          IndicatorValue.is_na, IndicatorValue.value_num, IndicatorValue.value_text)
                .where(IndicatorValue.entry_id.in_(special_entries[start:start + ledger.CHUNK]),
                       sa.or_(IndicatorValue.is_na.is_(True), IndicatorValue.points.is_(None)))):
            j, i = info.col_of.get(iid), row_of_entry.get(eid)
            if j is None or i is None:
                continue
            pts = rule_points(nodes[j], pts, is_na_flag, vnum, vtext)
            if j in row_cols:
                row_points[i, j] = pts
            else:
                base[i, info.col_parent[j]] += pts

    judged = ~np.isnan(judged_agg)
    eff = _leaf_points(info, row_points, judged_agg)
    sub = ledger.subtotals(info, base, eff, _leaf_points(info, row_points, judged_min),
                           _leaf_points(info, row_points, judged_max), judged,
                           np.where(judged, judged_max - judged_min, 0.0))
    sources: dict[int, dict] = {}
    if normalise:  # normalised aggregates are only known to this run: keep them for explanations
        codes = info.compiled.codes
        for i, j in zip(*[x.tolist() for x in np.nonzero(judged)]):
            sources.setdefault(i, {})[codes[j]] = {
                "agg": float(judged_agg[i, j]), "points": float(eff[i, j]), "n": int(judged_n[i, j]),
                "judges": [[str(jid), p] for jid, p in sorted(judge_points.get((i, j), []), key=str)]}
    return sub, sources


def _leaf_points(info: FrameworkInfo, row_points: np.ndarray, judged: np.ndarray) -> np.ndarray:
    """Row-read columns' points: judges' figure (clamped) where present, else the rule's."""
    pts = row_points.copy()
    comp = info.compiled
    for j in np.nonzero(~np.isnan(judged).all(axis=0))[0]:
        mp = float(comp.max_points[j])
        lo, hi = (-mp, 0.0) if comp.rules[j].kind == "penalty" else (0.0, mp)
        col = judged[:, j]
        has = ~np.isnan(col)
        pts[has, j] = _clamp_round(col[has], lo, hi)
    return pts


def _digest(inp: Inputs) -> str:
    h = hashlib.sha256()
    h.update(inp.info.digest.encode())
    h.update(json.dumps(inp.settings, sort_keys=True, default=str).encode())
    h.update(json.dumps([inp.unit_ids.tolist(), inp.entry_ids, inp.levels, inp.parents, inp.populations,
                         inp.clusters, inp.self_totals, inp.first_submitted], default=str).encode())
    for name in ledger.used_figures(inp.settings):  # both readers give these; the rest may be unread
        h.update(np.ascontiguousarray(getattr(inp.sub, name)).tobytes())
    h.update(json.dumps(sorted((k, sorted(v.items())) for k, v in inp.overrides.items())).encode())
    h.update(json.dumps(sorted(inp.sources.items()), sort_keys=True).encode())
    return h.hexdigest()


# --------------------------------------------------------------------------- computing

def _clamp_round(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    return np.clip(np.round(np.clip(x, lo, hi), 4), lo, hi)


def tree_totals(info: FrameworkInfo, sums: np.ndarray) -> tuple[np.ndarray, dict, dict]:
    """Totals and every node's capped points for all units (same order/rounding as score_entry).

    ``sums`` holds, per unit, the points of each node's own indicators (ledger columns).
    """
    comp = info.compiled
    n = sums.shape[0]
    k_of = {code: k for k, code in enumerate(info.leaf_parents)}
    node_pts: dict[str, np.ndarray] = {}
    node_raw: dict[str, np.ndarray] = {}
    for node in comp.nodes:
        acc = sums[:, k_of[node.code]].copy() if node.code in k_of else np.zeros(n)
        for typ, ref in node.children:
            if typ == "n":
                acc = acc + node_pts[ref]
        raw = np.round(acc, 4)
        lo, hi = (-node.cap, 0.0) if node.kind == "penalty" else (0.0, node.cap)
        node_raw[node.code] = raw
        node_pts[node.code] = _clamp_round(raw, lo, hi)
    totals_by_kind = {k: np.zeros(n) for k in ("regular", "bonus", "penalty")}
    for code, kind in comp.groups:
        totals_by_kind[kind] = totals_by_kind[kind] + node_pts[code]
    regular = _clamp_round(np.round(totals_by_kind["regular"], 4), -np.inf, comp.scale)
    bonus, penalty = np.round(totals_by_kind["bonus"], 4), np.round(totals_by_kind["penalty"], 4)
    raw_total = np.round(regular + bonus + penalty, 4)
    total = _clamp_round(raw_total, 0.0, comp.scale + comp.bonus_cap_total)
    parts = {"regular": regular, "bonus": bonus, "penalty": penalty, "raw_total": raw_total,
             "regular_raw": np.round(totals_by_kind["regular"], 4)}
    return total, node_pts, {"node_raw": node_raw, **parts}


@dataclass
class Computation:
    inputs: Inputs
    rows: list[dict] = field(default_factory=list)
    seconds: float = 0.0


def _override_score(inp: Inputs, i: int):
    """Exact score_entry for an entry with council overrides (rare; read its rows directly)."""
    info = inp.info
    eid = inp.entry_ids[i]
    nodes = info.fw.indicators()
    values: dict[str, Any] = {}
    judged: dict[str, float] = {}
    for iid, pts_db, is_na_flag, vnum, vtext in db.session.execute(
            sa.select(IndicatorValue.indicator_id, IndicatorValue.points, IndicatorValue.is_na,
                      IndicatorValue.value_num, IndicatorValue.value_text)
            .where(IndicatorValue.entry_id == eid)).all():
        j = info.col_of.get(iid)
        if j is None:
            continue
        node = nodes[j]
        values[node.code] = raw_value(node, vnum, vtext, is_na_flag)
        if not is_na_flag and pts_db is not None:
            judged[node.code] = float(pts_db)  # stored rule points (already clamped) stand as given
    if inp.sources.get(i):  # normalised: the aggregates this run computed
        judged.update({code: d["agg"] for code, d in inp.sources[i].items()})
    else:
        cols = ledger.entry_columns(info, inp.settings, [eid])
        for j in np.nonzero(cols.judged[0])[0].tolist():
            judged[nodes[j].code] = float(cols.agg[0, j])
    return score_entry(info.fw, values, judged, inp.overrides[i])


# --------------------------------------------------------------------------- progress (Redis)

def _set_progress(campaign_id: int, fraction: float, phase: str) -> None:
    try:
        from campaign.redis_client import get_redis

        get_redis().set(PROGRESS_KEY.format(campaign_id),
                        json.dumps({"progress": round(fraction, 3), "phase": phase, "at": time.time()}),
                        ex=600)
    except Exception:  # noqa: BLE001 - progress is cosmetic; never fail a recompute for it
        pass


def _clear_progress(campaign_id: int) -> None:
    try:
        from campaign.redis_client import get_redis

        get_redis().delete(PROGRESS_KEY.format(campaign_id))
    except Exception:  # noqa: BLE001
        pass


def progress(campaign_id: int) -> dict:
    """Freshness and progress of the campaign's provisional result (for the admin page)."""
    c = db.session.get(Campaign, campaign_id)
    if c is None:
        raise NotFound(_("Không tìm thấy phong trào."))
    run = provisional_run(campaign_id)
    running = None
    try:
        from campaign.redis_client import get_redis

        raw = get_redis().get(PROGRESS_KEY.format(campaign_id))
        running = json.loads(raw) if raw else None
    except Exception:  # noqa: BLE001
        running = None
    return {
        "campaign_id": campaign_id, "stale": c.is_stale,
        "inputs_version": c.inputs_version, "computed_version": c.computed_version,
        "stale_since": c.stale_since.isoformat() + "Z" if c.stale_since else None,
        "computed_at": run.finished_at.isoformat() + "Z" if run and run.finished_at else None,
        "running": running,
    }


# --------------------------------------------------------------------------- inputs
def _tie_matrix(names: list[str], node_pts: dict, parts: dict, inp: Inputs, n: int) -> np.ndarray:
    """Tie-break values per unit (columns in ``names`` order; higher is better)."""
    cols = []
    for name in names:
        if name.startswith("group:"):
            arr = node_pts.get(name.split(":", 1)[1])
            cols.append(np.asarray(arr, dtype=float) if arr is not None else np.zeros(n))
        elif name == "fewer_penalty":
            cols.append(np.asarray(parts["penalty"], dtype=float))
        elif name == "earlier_submission":
            cols.append(np.array([-ts if ts is not None else -math.inf for ts in inp.first_submitted], dtype=float))
        else:
            cols.append(np.zeros(n))
    return np.column_stack(cols) if cols else np.zeros((n, 0))


def compute(inp: Inputs, on_progress=None) -> Computation:
    """Every unit's result row (without database ids) from loaded inputs."""
    t0 = time.perf_counter()
    info, settings = inp.info, inp.settings
    comp = info.compiled
    n = len(inp.unit_ids)
    sub = inp.sub
    weights = settings.get("weights") or {}
    total, node_pts, parts = tree_totals(info, sub.points)
    if on_progress:
        on_progress(0.6, "totals")

    low = high = None
    if settings.get("show_intervals") and sub.judged.any():
        low, _np, _p = tree_totals(info, sub.low)
        high, _np, _p = tree_totals(info, sub.high)

    # Per-unit figures (plain Python lists: the loops below are over units, not ORM objects).
    groups = [g for g, _k in comp.groups]
    group_cols = {g: node_pts[g].tolist() for g in groups}
    totals = total.tolist()
    regular, bonus, penalty = parts["regular"].tolist(), parts["bonus"].tolist(), parts["penalty"].tolist()
    caps_by_node = {code: np.nonzero(node_pts[code] != parts["node_raw"][code])[0] for code in node_pts}
    caps: dict[int, list[str]] = {}
    for code in [nd.code for nd in comp.nodes]:
        for i in caps_by_node[code].tolist():
            caps.setdefault(i, []).append(code)
    for i in np.nonzero(parts["regular"] != parts["regular_raw"])[0].tolist():
        caps.setdefault(i, []).append("SCALE")
    for i in np.nonzero(total != parts["raw_total"])[0].tolist():
        caps.setdefault(i, []).append("TOTAL")
    # Judges' detail per indicator is served by explain() from the entry's rows; the stored
    # explanation keeps how many indicators were judged and, when normalised (only known to
    # this run), each normalised aggregate.
    n_judged = sub.judged.sum(axis=1).astype(int).tolist()
    threshold = settings.get("disagreement_threshold")
    if threshold is not None:
        flagged_rows = (sub.spread > float(threshold)).any(axis=1).tolist()
    else:
        flagged_rows = [False] * n

    # Council overrides: exact per-entry path.
    override_expl: dict[int, dict] = {}
    for i in inp.overrides:
        es = _override_score(inp, i)
        totals[i] = es.total
        regular[i], bonus[i], penalty[i] = es.regular_total, es.bonus_total, es.penalty_total
        for g in groups:
            group_cols[g][i] = es.groups[g].points
        caps[i] = list(es.caps_applied)
        override_expl[i] = {"values": es.overrides, "reasons": inp.override_reasons.get(i, {})}
    # Optional what-if weights on top-level groups (never used for published results unless set).
    if weights:
        upper = comp.scale + comp.bonus_cap_total
        for i in range(n):
            t = sum(group_cols[g][i] * float(weights.get(g, 1.0)) for g in groups)
            totals[i] = float(min(max(round(t, 4), 0.0), upper))
    own_totals = [t if e is not None else None for t, e in zip(totals, inp.entry_ids)]
    totals = [t if e is not None else 0.0 for t, e in zip(totals, inp.entry_ids)]
    if on_progress:
        on_progress(0.7, "rollup")

    # Roll-up communes → their district.
    rule = settings.get("rollup")
    rollups: dict[int, dict] = {}
    if rule:
        bands_cfg = settings.get("bands") or []
        threshold_std = rule.get("threshold", rule.get("min_total"))
        if threshold_std is None and bands_cfg:
            threshold_std = min(float(b["min_total"]) for b in bands_cfg)
        row_of_unit = {int(u): i for i, u in enumerate(inp.unit_ids.tolist())}
        children: dict[int, list[int]] = {}
        for i, (lvl, parent) in enumerate(zip(inp.levels, inp.parents)):
            if lvl == 3 and parent in row_of_unit and inp.levels[row_of_unit[parent]] == 2:
                children.setdefault(row_of_unit[parent], []).append(i)
        for d, kids in sorted(children.items()):
            communes = [CommuneResult(inp.unit_codes[k], totals[k], inp.populations[k],
                                      threshold_std is not None and totals[k] >= float(threshold_std))
                        for k in kids]
            rr = rollup(rule, own_totals[d], communes)
            totals[d] = rr.total
            rollups[d] = {"method": rr.method, "own_total": own_totals[d], "total": rr.total,
                          "components": rr.components}

    # Ranking per level (campaign-wide) and per (level, cluster); bands; awards.
    tie_names = list(settings.get("tie_breaks") or [])
    bands = [Band(b["code"], float(b["min_total"]), b.get("floor_pct")) for b in settings.get("bands") or []]
    top_band = max(bands, key=lambda b: b.min_total).code if bands else None
    # Vectorised competition ranking (scoring.ranking.rank_arrays == scoring.ranking.rank per group).
    scores = [round(t, 4) for t in totals]
    tb_mat = _tie_matrix(tie_names, node_pts, parts, inp, n)
    level_code: dict = {}
    cl_code: dict = {}
    lvl_g = [level_code.setdefault(lvl, len(level_code)) for lvl in inp.levels]
    cl_g = [cl_code.setdefault((lvl, cl), len(cl_code)) for lvl, cl in zip(inp.levels, inp.clusters)]
    rk_a, tied_a, deep_a = (x.tolist() for x in rank_arrays(scores, tb_mat, lvl_g))
    rk_c, tied_c, deep_c = (x.tolist() for x in rank_arrays(scores, tb_mat, cl_g))
    names_of = {d: tie_break_name(tie_names, d) for d in set(deep_a) | set(deep_c)}
    by_cluster: dict[tuple, list[int]] = {}
    for i in range(n):
        by_cluster.setdefault((inp.levels[i], inp.clusters[i]), []).append(i)
    band_of: dict[int, str | None] = {}
    floors = any(b.floor_pct is not None for b in bands)  # group percentages only matter for floors
    for i in range(n):
        if bands:
            pcts = {g: round(group_cols[g][i] / info.group_max[g] * 100.0, 4)
                    for g, k in comp.groups if k == "regular" and info.group_max[g] > 0} if floors else {}
            band_of[i] = classify(totals[i], pcts, bands, info.group_floors)
        else:
            band_of[i] = None
    award_of: dict[int, Any] = {}
    quota = settings.get("award_quota_pct")
    if top_band and quota is not None:
        # propose_awards looks at the cluster's size and at its top-band units only: the others
        # are one shared placeholder (unit None has no band), which spares 10,000 objects.
        filler = Ranked(None, 0, 0.0)
        for (lvl, cl), members in by_cluster.items():
            ranked = [Ranked(i, rk_c[i], scores[i], tied_c[i], names_of[deep_c[i]]) if band_of[i] == top_band
                      else filler for i in members]
            for a in propose_awards({cl: ranked}, band_of, top_band, float(quota),
                                    int(settings.get("top_per_cluster", 1) or 1)):
                award_of[a.unit_id] = a
    if on_progress:
        on_progress(0.8, "rows")

    method = settings.get("aggregation", "mean")
    rows = []
    for i in range(n):
        gs = {g: group_cols[g][i] for g in groups}
        flagged = flagged_rows[i]
        expl = {
            "v": 1, "entry": inp.entry_ids[i] is not None,
            "total": totals[i], "own_total": own_totals[i],
            "regular_total": regular[i], "bonus_total": bonus[i], "penalty_total": penalty[i],
            "groups": gs, "caps_applied": caps.get(i, []),
            "aggregation": {"method": method, "normalise": bool(settings.get("normalise")),
                            "trim_min_judges": settings.get("trim_min_judges", 3)},
            "judged_indicators": n_judged[i],
            "judged": inp.sources.get(i),
            "overrides": override_expl.get(i),
            "rollup": rollups.get(i),
            "rank": {"rank": rk_a[i], "tied": tied_a[i], "decided_by": names_of[deep_a[i]],
                     "rank_in_cluster": rk_c[i], "tied_in_cluster": tied_c[i],
                     "decided_by_in_cluster": names_of[deep_c[i]], "tie_breaks": tie_names},
            "band": band_of[i],
            "award": (award_of[i].reason if i in award_of else None),
        }
        if weights:
            expl["weights"] = weights
        rows.append({
            "unit_id": int(inp.unit_ids[i]), "entry_id": inp.entry_ids[i], "level": inp.levels[i],
            "cluster_id": inp.clusters[i], "total": totals[i], "own_total": own_totals[i],
            "self_total": inp.self_totals[i], "rank": rk_a[i], "rank_in_cluster": rk_c[i], "tied": tied_a[i],
            "band": band_of[i], "award": award_of[i].kind if i in award_of else None,
            "group_scores": gs,
            "interval_low": float(low[i]) if low is not None else None,
            "interval_high": float(high[i]) if high is not None else None,
            "flagged": flagged, "explanation": expl,
        })
    return Computation(inp, rows, time.perf_counter() - t0)


# --------------------------------------------------------------------------- provisional runs

def provisional_run(campaign_id: int) -> ScoreRun | None:
    return db.session.scalar(sa.select(ScoreRun).where(ScoreRun.campaign_id == campaign_id,
                                                       ScoreRun.kind == "provisional")
                             .order_by(ScoreRun.id.desc()).limit(1))


def _test_delay() -> None:
    if current_app.config.get("TESTING"):
        delay = float(os.environ.get("THIDUA_TEST_RECOMPUTE_DELAY") or current_app.config.get(
            "TEST_RECOMPUTE_DELAY", 0) or 0)
        if delay > 0:
            time.sleep(delay)


@contextmanager
def _gc_paused():
    """No cyclic GC passes while ~100k short-lived tuples/dicts are built (they are acyclic;
    each full pass would rescan them all). Collected normally right after."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def recompute_provisional(campaign_id: int, *, force: bool = False) -> dict:
    """Recompute the campaign's provisional result; see the module docstring for the protocol."""
    with _gc_paused():
        return _recompute_provisional(campaign_id, force=force)


def _recompute_provisional(campaign_id: int, *, force: bool = False) -> dict:
    t0 = time.perf_counter()
    _set_progress(campaign_id, 0.05, "reading")
    try:
        with read_only_transactions():
            c = db.session.get(Campaign, campaign_id)
            if c is None:
                raise NotFound(_("Không tìm thấy phong trào."))
            run = provisional_run(campaign_id)
            if not force and run is not None and not c.is_stale:
                db.session.rollback()
                _clear_progress(campaign_id)
                return {"campaign_id": campaign_id, "status": "fresh", "version": c.computed_version}
            from_raw = force or c.ledger_stale or not ledger.usable(c.settings or {})
            force = force or run is None
            inp = load_inputs(campaign_id, from_raw=from_raw)
            same = run is not None and run.status == "done" and run.inputs_digest == inp.digest
            db.session.rollback()  # end the read transaction before the long part
        t_read = time.perf_counter()
        _set_progress(campaign_id, 0.5, "computing")
        _test_delay()
        t_delay = time.perf_counter()
        # Same inputs as the rows in place → same rows: only the version bookkeeping moves.
        result = Computation(inp, None) if same else compute(
            inp, on_progress=lambda f, p: _set_progress(campaign_id, f, p))
        t_compute = time.perf_counter()
        _set_progress(campaign_id, 0.9, "writing")
        status = _write_provisional(inp, result.rows, force=force)
        t_write = time.perf_counter()
    except sa.exc.OperationalError as exc:
        db.session.rollback()
        _clear_progress(campaign_id)
        raise RetryableError(str(exc)) from exc
    except Exception:
        db.session.rollback()
        _clear_progress(campaign_id)
        raise
    _clear_progress(campaign_id)
    return {"campaign_id": campaign_id, "status": status, "version": inp.inputs_version,
            "units": len(result.rows) if result.rows is not None else None, "digest": inp.digest,
            "inputs": "raw" if inp.from_raw else "ledger", "seconds": round(time.perf_counter() - t0, 4),
            "phases": {"read": round(t_read - t0, 4), "compute": round(t_compute - t_delay, 4),
                       "write": round(t_write - t_compute, 4)}}


# (database url, campaign id) -> (run id, digest, {unit_id: row}) of the rows this process last
# wrote; lets the next recompute update only the rows that changed. Validated against the run's
# digest in the database, so rows written by another process are never trusted.
_LAST_ROWS: dict[tuple, tuple[int, str, dict]] = {}


def _write_provisional(inp: Inputs, rows: list[dict], *, force: bool) -> str:
    """One transaction: claim the version, replace the provisional rows. Returns the outcome."""
    cid, v = inp.campaign_id, inp.inputs_version
    cond = Campaign.computed_version <= v if force else Campaign.computed_version < v
    claimed = db.session.execute(
        sa.update(Campaign).where(Campaign.id == cid, cond)
        .values(computed_version=v,
                stale_since=sa.case((Campaign.inputs_version <= v, None), else_=Campaign.stale_since))
        .execution_options(synchronize_session=False))
    if claimed.rowcount == 0:
        db.session.rollback()
        return "discarded"
    if inp.from_raw and ledger.usable(inp.settings):
        # Rebuild the ledger from what was read, unless a change landed since (its entries'
        # rows would be overwritten with older figures): then the flag stays and a later
        # full recompute rebuilds it.
        current = db.session.scalar(sa.select(Campaign.inputs_version).where(Campaign.id == cid))
        if current == v:
            ledger.replace_all(cid, inp.info, inp.entry_ids, inp.sub)
    now = utcnow()
    run = provisional_run(cid)
    if run is None:
        run = ScoreRun(campaign_id=cid, kind="provisional", started_at=now)
        db.session.add(run)
        db.session.flush()
    status = "unchanged"
    if rows is None:  # unchanged inputs: the rows in place are the result
        if run.inputs_digest != inp.digest:
            db.session.rollback()
            return "discarded"  # someone replaced the rows meanwhile; a later run will settle
        run.inputs_version = v
        run.finished_at = now
        db.session.commit()
        return status
    new_by_unit = {r["unit_id"]: r for r in rows}
    cache_key = (str(db.engine.url), cid)
    if run.inputs_digest != inp.digest or run.status != "done":
        cached = _LAST_ROWS.get(cache_key)
        if (cached is not None and cached[0] == run.id and cached[1] == run.inputs_digest
                and run.status == "done" and cached[2].keys() == new_by_unit.keys()):
            # This process wrote the rows now in place (same run, same digest): update only the
            # rows that differ (a change usually moves one unit and a few ranks).
            changed = [r for u, r in new_by_unit.items() if cached[2][u] != r]
            if changed:
                t = UnitResult.__table__
                cols = [k for k in rows[0] if k != "unit_id"]
                db.session.execute(
                    t.update().where(t.c.run_id == sa.bindparam("b_run"), t.c.unit_id == sa.bindparam("b_unit"))
                    .values({k: sa.bindparam(k) for k in cols}),
                    [{"b_run": run.id, "b_unit": r["unit_id"], **{k: r[k] for k in cols}} for r in changed])
            status = "written"
        else:
            db.session.execute(sa.delete(UnitResult).where(UnitResult.run_id == run.id))
            if rows:
                db.session.execute(UnitResult.__table__.insert(), [{"run_id": run.id, **r} for r in rows])
            status = "written"
    run.status = "done"
    run.inputs_version = v
    run.inputs_digest = inp.digest
    run.framework_version_id = inp.info.version_id
    run.settings = inp.settings
    run.progress = 1.0
    run.started_at = run.started_at or now
    run.finished_at = now
    run_id = run.id
    db.session.commit()
    _LAST_ROWS[cache_key] = (run_id, inp.digest, new_by_unit)
    return status


def sweep_stale() -> list[int]:
    """Re-enqueue every stale campaign (covers lost messages and crashed workers)."""
    from campaign.services.results.freshness import enqueue_recompute

    with read_only_transactions():
        ids = list(db.session.scalars(
            sa.select(Campaign.id).where(Campaign.computed_version < Campaign.inputs_version,
                                         Campaign.status != "draft").order_by(Campaign.id)))
        db.session.rollback()
    return [cid for cid in ids if enqueue_recompute(cid, coalesce=False)]


# --------------------------------------------------------------------------- publishing

def publish(campaign_id: int, user_id: int | None = None, kind: str = "snapshot", label: str = "") -> int:
    """Freeze the provisional result as an immutable snapshot (or mid-term) run; return its id."""
    if kind not in ("snapshot", "midterm"):
        raise DomainError(_("Loại công bố không hợp lệ."))
    c = db.session.get(Campaign, campaign_id)
    if c is None:
        raise NotFound(_("Không tìm thấy phong trào."))
    run = provisional_run(campaign_id)
    if c.is_stale or run is None or run.inputs_version != c.inputs_version:
        raise Conflict(_("Kết quả tạm tính chưa cập nhật; hãy chờ tính lại xong rồi công bố."))
    previous = db.session.scalar(sa.select(ScoreRun.id).where(
        ScoreRun.campaign_id == campaign_id, ScoreRun.kind == kind, ScoreRun.published_at.is_not(None))
        .order_by(ScoreRun.published_at.desc(), ScoreRun.id.desc()).limit(1))
    now = utcnow()
    snap = ScoreRun(campaign_id=campaign_id, kind=kind, status="done", inputs_version=run.inputs_version,
                    inputs_digest=run.inputs_digest, framework_version_id=run.framework_version_id,
                    settings=dict(run.settings or {}), label=label or "", progress=1.0,
                    started_at=run.started_at, finished_at=run.finished_at, published_at=now,
                    published_by_id=user_id, previous_snapshot_id=previous)
    db.session.add(snap)
    db.session.flush()
    cols = [c_.name for c_ in UnitResult.__table__.columns if c_.name not in ("id", "run_id")]
    db.session.execute(sa.insert(UnitResult).from_select(
        ["run_id", *cols],
        sa.select(sa.literal(snap.id), *[UnitResult.__table__.c[c_] for c_ in cols])
        .where(UnitResult.run_id == run.id)))
    audit.record("results.publish", "score_run", snap.id, campaign_id=campaign_id,
                 after={"kind": kind, "label": label, "inputs_digest": run.inputs_digest,
                        "inputs_version": run.inputs_version, "previous_snapshot_id": previous},
                 actor=_user(user_id))
    db.session.commit()
    _warm_cache(snap.id)
    return snap.id


def _user(user_id):
    if user_id is None:
        return None
    from campaign.models import User

    return db.session.get(User, user_id)


def _warm_cache(run_id: int) -> None:
    from campaign.services.results import leaderboard

    warm = getattr(leaderboard, "warm_cache", None)
    if warm is None:
        return
    try:
        warm(run_id)
    except Exception as exc:  # noqa: BLE001 - a cold cache only slows the first request
        log.warning("warming the leaderboard cache for run %s failed: %s", run_id, exc)


def request_publish(campaign_id: int, user_id: int | None, kind: str = "snapshot", label: str = "") -> bool:
    """Check the guard now, then publish in the worker (or inline if the pipeline is down).

    Returns True when enqueued, False when it was published inline.
    """
    c = db.session.get(Campaign, campaign_id)
    if c is None:
        raise NotFound(_("Không tìm thấy phong trào."))
    run = provisional_run(campaign_id)
    if c.is_stale or run is None:
        raise Conflict(_("Kết quả tạm tính chưa cập nhật; hãy chờ tính lại xong rồi công bố."))
    from campaign.tasks import publish_snapshot

    try:
        publish_snapshot.apply_async(args=[campaign_id, user_id, kind, label], retry=False)
        return True
    except Exception as exc:  # noqa: BLE001 - broker down: publishing is a small copy, do it here
        log.warning("publish of campaign %s not enqueued (%s); publishing inline", campaign_id, exc)
        publish(campaign_id, user_id=user_id, kind=kind, label=label)
        return False


# --------------------------------------------------------------------------- what-if & explain

def what_if(campaign_id: int, settings_override: dict) -> dict:
    """Ranks under other settings, compared with the provisional result; writes nothing."""
    allowed = {"aggregation", "normalise", "trim_min_judges", "weights", "rollup", "tie_breaks", "bands",
               "award_quota_pct", "top_per_cluster"}
    override = {k: v for k, v in (settings_override or {}).items() if k in allowed}
    with read_only_transactions():
        c = db.session.get(Campaign, campaign_id)
        if c is None:
            raise NotFound(_("Không tìm thấy phong trào."))
        # Ranking-only changes (weights, bands, tie-breaks, roll-up) re-rank the ledger's
        # subtotals; another aggregation or normalisation needs the judges' raw marks.
        from_raw = (c.ledger_stale or any(k in override for k in ledger.LEDGER_SETTINGS)
                    or not ledger.usable({**(c.settings or {}), **override}))
        inp = load_inputs(campaign_id, override, from_raw=from_raw)
        result = compute(inp)
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
                     "rank": r["rank"], "total": r["total"], "current_rank": cur_rank, "current_total": cur_total,
                     "change": None if cur_rank is None else cur_rank - r["rank"]})
    rows.sort(key=lambda x: (x["level"], x["rank"], x["unit_id"]))
    return {"campaign_id": campaign_id, "settings": override, "rows": rows,
            "moved": sum(1 for x in rows if x["change"]), "digest": inp.digest,
            "inputs": "raw" if inp.from_raw else "ledger"}


def explain(run_id: int, unit_id: int) -> dict:
    """The stored explanation of a unit's result, enriched with each indicator's detail.

    The per-indicator detail (value, rule, points, each judge's points) is read from the
    current inputs and scored with ``score_entry``; ``detail_current`` says whether it still
    matches the run (it may not for an old snapshot).
    """
    row = db.session.scalar(sa.select(UnitResult).where(UnitResult.run_id == run_id,
                                                        UnitResult.unit_id == unit_id))
    if row is None:
        raise NotFound(_("Không tìm thấy kết quả của đơn vị."))
    run = db.session.get(ScoreRun, run_id)
    out = {"run_id": run_id, "run_kind": run.kind, "unit_id": unit_id, "total": row.total,
           "own_total": row.own_total, "rank": row.rank, "rank_in_cluster": row.rank_in_cluster,
           "tied": row.tied, "band": row.band, "award": row.award, "stored": row.explanation or {}}
    if row.entry_id is None or run.framework_version_id is None:
        return out
    info = framework_info(run.framework_version_id)
    nodes = info.fw.indicators()
    values: dict[str, Any] = {}
    for iid, pts_db, is_na_flag, vnum, vtext in db.session.execute(
            sa.select(IndicatorValue.indicator_id, IndicatorValue.points, IndicatorValue.is_na,
                      IndicatorValue.value_num, IndicatorValue.value_text)
            .where(IndicatorValue.entry_id == row.entry_id)).all():
        j = info.col_of.get(iid)
        if j is not None:
            values[nodes[j].code] = raw_value(nodes[j], vnum, vtext, is_na_flag)
    judges: dict[str, list] = {}
    for iid, jid, pts in db.session.execute(
            sa.select(JudgeScore.indicator_id, Assignment.judge_id, JudgeScore.points)
            .join(Assignment, Assignment.id == JudgeScore.assignment_id)
            .where(Assignment.entry_id == row.entry_id, Assignment.status == "submitted")
            .order_by(Assignment.judge_id)).all():
        j = info.col_of.get(iid)
        if j is not None:
            judges.setdefault(nodes[j].code, []).append({"judge_id": jid, "points": float(pts)})
    settings = run.settings or {}
    judged = {code: engine_aggregate([p["points"] for p in lst], settings.get("aggregation", "mean"),
                                     int(settings.get("trim_min_judges", 3) or 3))
              for code, lst in judges.items()}
    overrides = {t: float(p) for t, p in db.session.execute(
        sa.select(Override.target, Override.points).where(Override.entry_id == row.entry_id,
                                                          Override.active.is_(True))
        .order_by(Override.id)).all()}
    stored_judged = (row.explanation or {}).get("judged") or {}  # normalised / median aggregates
    for code, d in stored_judged.items():  # normalised aggregates are only known to the run
        judged[code] = d["agg"]
    es = score_entry(info.fw, values, judged, overrides)
    detail = es.to_explanation()
    for ind in detail["indicators"]:
        ind["judges"] = judges.get(ind["code"], [])
    out["indicators"] = detail["indicators"]
    out["groups_detail"] = detail["groups"]
    out["detail_current"] = (row.own_total is None or abs(es.total - row.own_total) < 1e-9)
    return out


def latest_runs(campaign_id: int) -> dict:
    """The provisional run and the published runs (newest first) of a campaign."""
    runs = list(db.session.scalars(sa.select(ScoreRun).where(ScoreRun.campaign_id == campaign_id,
                                                             ScoreRun.kind.in_(("snapshot", "midterm")))
                                   .order_by(ScoreRun.published_at.desc(), ScoreRun.id.desc())))
    return {"provisional": provisional_run(campaign_id), "published": runs}


def recompute_all(*, force: bool = True) -> list[dict]:
    """Recompute every non-draft campaign in this process (``flask recompute-all``)."""
    ids = list(db.session.scalars(sa.select(Campaign.id).where(Campaign.status != "draft",
                                                               Campaign.framework_version_id.is_not(None))
                                  .order_by(Campaign.id)))
    db.session.rollback()
    return [recompute_provisional(cid, force=force) for cid in ids]
