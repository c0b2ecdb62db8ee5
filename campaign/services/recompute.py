"""Provisional results, published snapshots and what-if previews of a campaign.

A full recompute is set-based (``docs``: performance-reliability §4): SQL sums each unit's
stored rule points per parent node (``GROUP BY entry, parent``) and aggregates submitted
judges' scores per (entry, indicator); numpy then walks the framework tree (caps, scale,
bonus/penalty) for all units at once, mirroring :func:`scoring.entry.score_entry` (and
:mod:`scoring.vector`). Only the rare entries with council overrides go through
``score_entry`` one by one. Roll-up, ranking, bands and awards use :mod:`scoring`.

Freshness protocol (``Campaign.inputs_version`` / ``computed_version``):

1. read ``v = inputs_version`` and all inputs in a read-only transaction (no write lock);
2. compute in memory;
3. in ONE write transaction: ``UPDATE campaign SET computed_version = v … WHERE
   computed_version < v`` — if no row matches, a newer (or equal) result is already in
   place and this run discards itself — then replace the provisional run's rows.
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
from scoring.framework import Framework as EngineFramework
from scoring.framework import parse_framework
from scoring.ranking import Band, Ranked, classify, propose_awards, rank_arrays, tie_break_name
from scoring.rollup import CommuneResult, rollup
from scoring.rules import NA, clamp_points, indicator_points, na_points
from scoring.vector import CompiledRules, compile_rules

from ..extensions import db
from ..models import (Assignment, Campaign, CampaignUnit, Entry, FrameworkVersion, IndicatorNode,
                      IndicatorValue, JudgeScore, Override, ScoreRun, Unit, UnitResult)
from ..models.base import utcnow
from ..sqlite import read_only_transactions
from . import audit
from .errors import Conflict, DomainError, NotFound

log = logging.getLogger(__name__)

PROGRESS_KEY = "thidua:recompute-progress:{}"
ROW_KINDS = ("judged", "manual")  # indicators whose points may come from judges: read row by row
AGGREGATIONS = ("mean", "median", "trimmed_mean")


class RetryableError(Exception):
    """A transient failure (database locked, connection lost): the task retries."""


# --------------------------------------------------------------------------- framework cache

@dataclass(frozen=True)
class FrameworkInfo:
    version_id: int
    digest: str
    fw: EngineFramework
    compiled: CompiledRules
    ind_ids: tuple[int, ...]  # IndicatorNode.id per compiled column
    col_of: dict  # IndicatorNode.id -> column
    node_code: dict  # IndicatorNode.id -> code (all nodes)
    parent_code: dict  # indicator column -> parent node code
    row_cols: frozenset  # columns read row by row (judged / manual rules)
    group_max: dict  # top-level group code -> max_points
    group_floors: dict  # top-level group code -> floor_pct


# (database url, version id, document digest) -> parsed and compiled framework.
_FW_CACHE: dict[tuple, FrameworkInfo] = {}


def framework_info(version_id: int) -> FrameworkInfo:
    digest = db.session.scalar(sa.select(FrameworkVersion.digest).where(FrameworkVersion.id == version_id))
    if digest is None:
        raise NotFound(_("Không tìm thấy bảng chấm điểm."))
    key = (str(db.engine.url), version_id, digest)
    info = _FW_CACHE.get(key)
    if info is not None:
        return info
    version = db.session.get(FrameworkVersion, version_id)
    fw = parse_framework(version.document)
    compiled = compile_rules(fw)
    rows = db.session.execute(sa.select(IndicatorNode.id, IndicatorNode.code, IndicatorNode.parent_id)
                              .where(IndicatorNode.framework_version_id == version_id)).all()
    by_code = {code: nid for nid, code, _p in rows}
    node_code = {nid: code for nid, code, _p in rows}
    parent_of = {code: node_code.get(p) for _n, code, p in rows}
    ind_ids = tuple(by_code[c] for c in compiled.codes)
    info = FrameworkInfo(
        version_id=version_id, digest=version.digest, fw=fw, compiled=compiled, ind_ids=ind_ids,
        col_of={nid: j for j, nid in enumerate(ind_ids)}, node_code=node_code,
        parent_code={j: parent_of[c] for j, c in enumerate(compiled.codes)},
        row_cols=frozenset(j for j, r in enumerate(compiled.rules) if r.kind in ROW_KINDS),
        group_max={g.code: g.max_points for g in fw.groups},
        group_floors={g.code: g.floor_pct for g in fw.groups if g.floor_pct is not None},
    )
    _FW_CACHE[key] = info
    return info


# --------------------------------------------------------------------------- progress (Redis)

def _set_progress(campaign_id: int, fraction: float, phase: str) -> None:
    try:
        from ..redis_client import get_redis

        get_redis().set(PROGRESS_KEY.format(campaign_id),
                        json.dumps({"progress": round(fraction, 3), "phase": phase, "at": time.time()}),
                        ex=600)
    except Exception:  # noqa: BLE001 - progress is cosmetic; never fail a recompute for it
        pass


def _clear_progress(campaign_id: int) -> None:
    try:
        from ..redis_client import get_redis

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
        from ..redis_client import get_redis

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
    node_sums: dict  # node code -> array (sum of stored rule points of non-row leaves)
    row_points: np.ndarray  # units × indicators, row-read columns (rule points)
    judged_agg: np.ndarray  # units × indicators, NaN where no submitted judge score
    judged_min: np.ndarray
    judged_max: np.ndarray
    judged_n: np.ndarray
    judge_points: dict  # (row, col) -> list[(judge_id, points)] (only kept when needed)
    overrides: dict  # row -> {target: points}
    override_reasons: dict  # row -> {target: reason}
    digest: str = ""


def _settings(campaign: Campaign, override: dict | None) -> dict:
    s = dict(campaign.settings or {})
    if override:
        s.update(override)
    return s


def _epoch(dt) -> float | None:
    return None if dt is None else dt.timestamp()


def _raw_value(node, value_num, value_text, is_na_flag):
    """The value score_entry expects, from a stored IndicatorValue row."""
    if is_na_flag:
        return NA
    if node.rule.kind == "judged":
        return value_text
    if node.rule.kind == "yes_no":
        if value_num is not None:
            return bool(value_num)
        return value_text
    return value_num if value_num is not None else value_text


def _fetch(stmt) -> list[tuple]:
    """Run a Core select through the raw DBAPI cursor: plain tuples, no Row objects (fast).

    Parameters are integers/booleans chosen by this module, so literal binding is safe.
    """
    conn = db.session.connection()
    sql = str(stmt.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    cur = conn.connection.dbapi_connection.cursor()
    try:
        t = time.perf_counter()
        cur.execute(sql)
        out = cur.fetchall()
        if os.environ.get("THIDUA_RECOMPUTE_TRACE"):
            print(f"  sql {time.perf_counter() - t:.3f}s rows={len(out)} {sql if os.environ['THIDUA_RECOMPUTE_TRACE'] == 'full' else sql[:90]!r}")
        return out
    finally:
        cur.close()


def _as_array(rows: list[tuple], ncols: int) -> np.ndarray:
    """Fetched numeric tuples as a float matrix (np.fromiter: ~3× faster than np.array)."""
    from itertools import chain

    try:
        return np.fromiter(chain.from_iterable(rows), dtype=float, count=len(rows) * ncols).reshape(-1, ncols)
    except TypeError:  # a NULL somewhere
        return np.array([[np.nan if x is None else x for x in r] for r in rows], dtype=float)


def load_inputs(campaign_id: int, settings_override: dict | None = None) -> Inputs:
    """Read every input of a campaign's result with a handful of set-based queries."""
    c = db.session.get(Campaign, campaign_id)
    if c is None:
        raise NotFound(_("Không tìm thấy phong trào."))
    if c.framework_version_id is None:
        raise DomainError(_("Phong trào chưa có bảng chấm điểm."))
    inputs_version = c.inputs_version
    settings = _settings(c, settings_override)
    info = framework_info(c.framework_version_id)
    nind = len(info.compiled.codes)

    parts = db.session.execute(
        sa.select(CampaignUnit.unit_id, CampaignUnit.cluster_id, Unit.level, Unit.parent_id,
                  Unit.population, Unit.code, Entry.id, Entry.self_total, Entry.first_submitted_at)
        .join(Unit, Unit.id == CampaignUnit.unit_id)
        .outerjoin(Entry, sa.and_(Entry.campaign_id == CampaignUnit.campaign_id,
                                  Entry.unit_id == CampaignUnit.unit_id))
        .where(CampaignUnit.campaign_id == campaign_id)
        .order_by(CampaignUnit.unit_id)).all()
    n = len(parts)
    unit_ids = np.array([p[0] for p in parts], dtype=np.int64)
    entry_ids = [p[6] for p in parts]
    row_of_entry = {e: i for i, e in enumerate(entry_ids) if e is not None}
    ent_arr = np.array([e if e is not None else -1 for e in entry_ids], dtype=np.int64)
    ent_order = np.argsort(ent_arr)
    ent_sorted = ent_arr[ent_order]

    def rows_for(entry_col: np.ndarray) -> np.ndarray:
        pos = np.searchsorted(ent_sorted, entry_col)
        return ent_order[pos]

    method = settings.get("aggregation", "mean")
    if method not in AGGREGATIONS:
        raise DomainError(_("Phương pháp tổng hợp điểm giám khảo không hợp lệ."))
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
    col_lookup = np.full(max(info.col_of) + 1 if info.col_of else 1, -1, dtype=np.int64)
    for nid, j in info.col_of.items():
        col_lookup[nid] = j

    sql_agg = not (method == "median" or normalise)
    need_minmax = (method == "trimmed_mean" or bool(settings.get("show_intervals"))
                   or settings.get("disagreement_threshold") is not None)
    agg = None
    if not sql_agg:
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
        # Σ / count (and min / max when something needs them) per (entry, indicator), in SQL.
        # (Running it on a second connection in parallel with the value scan was measured
        # slower on this 2-core machine with SQLite: both queries slowed down ~2×.)
        agg = _fetch(
            sa.select(submitted.c.eid, JudgeScore.indicator_id, sa.func.count(), sa.func.sum(JudgeScore.points),
                      *((sa.func.min(JudgeScore.points), sa.func.max(JudgeScore.points)) if need_minmax else ()))
            .join(submitted, submitted.c.aid == JudgeScore.assignment_id)
            .group_by(submitted.c.eid, JudgeScore.indicator_id))

    # Columns whose points may come from judges (judged/manual rules, and any column with a
    # judge's score) are left out of the per-node sums; their stored values are read only
    # where an entry has no judges' score on them. Every other stored point is summed per
    # (entry, parent node) in SQL — ONE scan of the campaign's values, which also counts the
    # rows that need Python (not applicable / saved without points).
    ok = sa.and_(IndicatorValue.is_na.is_(False), IndicatorValue.points.is_not(None))

    def value_sums(cols: set) -> list[tuple]:
        ids = [info.ind_ids[j] for j in sorted(cols)]
        return _fetch(
            sa.select(IndicatorValue.entry_id, IndicatorNode.parent_id,
                      sa.func.sum(sa.case((ok, IndicatorValue.points), else_=0.0)),
                      sa.func.sum(sa.case((ok, 0), else_=1)))
            .join(Entry, Entry.id == IndicatorValue.entry_id)
            .join(IndicatorNode, IndicatorNode.id == IndicatorValue.indicator_id)
            .where(Entry.campaign_id == campaign_id,
                   *((IndicatorValue.indicator_id.not_in(ids),) if ids else ()))
            .group_by(IndicatorValue.entry_id, IndicatorNode.parent_id))

    if agg:
        a = _as_array(agg, 6 if need_minmax else 4)
        keep = np.isin(a[:, 0].astype(np.int64), ent_sorted) & (a[:, 1].astype(np.int64) < len(col_lookup))
        a = a[keep]
        cols = col_lookup[a[:, 1].astype(np.int64)]
        a, cols = a[cols >= 0], cols[cols >= 0]
        rows = rows_for(a[:, 0].astype(np.int64))
        cnt, tot = a[:, 2], a[:, 3]
        if method == "trimmed_mean":
            lo, hi = a[:, 4], a[:, 5]
            trim = cnt >= max(trim_min, 3)
            val = np.where(trim, (tot - lo - hi) / np.where(trim, cnt - 2, 1), tot / cnt)
        else:
            val = tot / cnt
        judged_agg[rows, cols] = np.round(val, 4)
        judged_n[rows, cols] = cnt
        if need_minmax:
            judged_min[rows, cols], judged_max[rows, cols] = a[:, 4], a[:, 5]
    row_cols = set(info.row_cols) | set(np.nonzero(judged_n.any(axis=0))[0].tolist())
    sums = value_sums(row_cols)
    judged_cols = set(np.nonzero(judged_n.any(axis=0))[0].tolist())

    node_sums: dict[str, np.ndarray] = {}
    nodes = info.fw.indicators()
    row_points = np.zeros((n, nind))
    special_entries: list[int] = []
    # Row-read columns nobody judged in this campaign (e.g. manual points): read them per column.
    if sums:
        s = _as_array(sums, 4)
        s = s[np.isin(s[:, 0].astype(np.int64), ent_sorted)]
        rows = rows_for(s[:, 0].astype(np.int64))
        keys = s[:, 1].astype(np.int64)
        for pid in np.unique(keys):
            code = info.node_code.get(int(pid))
            if code is None:
                continue
            m = keys == pid
            arr = node_sums.setdefault(code, np.zeros(n))
            np.add.at(arr, rows[m], s[m, 2])
        special_entries = sorted(set(s[s[:, 3] > 0, 0].astype(np.int64).tolist()))
    def read_row_values(*where) -> None:
        """Stored values of row-read columns (rule points; Python for n/a or point-less rows)."""
        for eid, iid, pts_db, is_na_flag, vnum, vtext in _fetch(
                sa.select(IndicatorValue.entry_id, IndicatorValue.indicator_id, IndicatorValue.points,
                          IndicatorValue.is_na, IndicatorValue.value_num, IndicatorValue.value_text)
                .where(*where)):
            j, i = info.col_of.get(iid), row_of_entry.get(eid)
            if j is None or i is None:
                continue
            if is_na_flag or pts_db is None:
                node = nodes[j]
                pts_db = indicator_points(node, _raw_value(node, vnum, vtext, bool(is_na_flag))).points
            row_points[i, j] = float(pts_db)

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
        for k in range(0, len(fallback_entries), 500):
            read_row_values(IndicatorValue.entry_id.in_(fallback_entries[k:k + 500]),
                            IndicatorValue.indicator_id.in_(row_ids))
    special = []
    for k in range(0, len(special_entries), 500):
        special += _fetch(
            sa.select(IndicatorValue.entry_id, IndicatorValue.indicator_id, IndicatorValue.points,
                      IndicatorValue.is_na, IndicatorValue.value_num, IndicatorValue.value_text)
            .where(IndicatorValue.entry_id.in_(special_entries[k:k + 500]),
                   sa.or_(IndicatorValue.is_na.is_(True), IndicatorValue.points.is_(None))))
    extra_sums: list[tuple[int, int, float]] = []
    for eid, iid, pts, is_na_flag, vnum, vtext in special:
        j = info.col_of.get(iid)
        i = row_of_entry.get(eid)
        if j is None or i is None:
            continue
        node = nodes[j]
        pts = indicator_points(node, _raw_value(node, vnum, vtext, bool(is_na_flag))).points
        if j in row_cols:
            row_points[i, j] = float(pts)
        else:
            extra_sums.append((i, j, float(pts)))
    for i, j, p in extra_sums:
        arr = node_sums.setdefault(info.parent_code[j], np.zeros(n))
        arr[i] += p
    for arr in node_sums.values():
        np.round(arr, 4, out=arr)

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
        unit_ids=unit_ids, entry_ids=entry_ids, levels=[p[2] for p in parts], parents=[p[3] for p in parts],
        populations=[p[4] for p in parts], clusters=[p[1] for p in parts], unit_codes=[p[5] for p in parts],
        self_totals=[p[7] for p in parts], first_submitted=[_epoch(p[8]) for p in parts],
        node_sums=node_sums, row_points=row_points, judged_agg=judged_agg, judged_min=judged_min,
        judged_max=judged_max, judged_n=judged_n, judge_points=judge_points, overrides=overrides,
        override_reasons=reasons)
    inp.digest = _digest(inp)
    return inp


def _digest(inp: Inputs) -> str:
    h = hashlib.sha256()
    h.update(inp.info.digest.encode())
    h.update(json.dumps(inp.settings, sort_keys=True, default=str).encode())
    h.update(json.dumps([inp.unit_ids.tolist(), inp.entry_ids, inp.levels, inp.parents, inp.populations,
                         inp.clusters, inp.self_totals, inp.first_submitted], default=str).encode())
    for code in sorted(inp.node_sums):
        h.update(code.encode())
        h.update(np.ascontiguousarray(inp.node_sums[code]).tobytes())
    for arr in (inp.row_points, inp.judged_agg, inp.judged_min, inp.judged_max, inp.judged_n):
        h.update(np.ascontiguousarray(arr).tobytes())
    h.update(json.dumps(sorted((k, sorted(v.items())) for k, v in inp.overrides.items())).encode())
    return h.hexdigest()


# --------------------------------------------------------------------------- computing

def _clamp_round(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    return np.clip(np.round(np.clip(x, lo, hi), 4), lo, hi)


def leaf_points(inp: Inputs, judged: np.ndarray | None = None) -> np.ndarray:
    """Points of row-read columns: judges' aggregate (clamped) where present, else the rule's."""
    judged = inp.judged_agg if judged is None else judged
    pts = inp.row_points.copy()
    comp = inp.info.compiled
    for j in np.nonzero(~np.isnan(judged).all(axis=0))[0]:
        mp = float(comp.max_points[j])
        lo, hi = (-mp, 0.0) if comp.rules[j].kind == "penalty" else (0.0, mp)
        col = judged[:, j]
        has = ~np.isnan(col)
        pts[has, j] = _clamp_round(col[has], lo, hi)
    return pts


def tree_totals(inp: Inputs, pts: np.ndarray) -> tuple[np.ndarray, dict, dict]:
    """Totals and every node's capped points for all units (same order/rounding as score_entry)."""
    comp = inp.info.compiled
    n = pts.shape[0]
    node_pts: dict[str, np.ndarray] = {}
    node_raw: dict[str, np.ndarray] = {}
    for node in comp.nodes:
        acc = inp.node_sums.get(node.code, np.zeros(n)).copy()
        for typ, ref in node.children:
            if typ == "i":
                acc = acc + pts[:, ref]  # zero outside row-read columns (those are in node_sums)
            else:
                acc = acc + node_pts[ref]
        raw = np.round(acc, 4)
        lo, hi = (-node.cap, 0.0) if node.kind == "penalty" else (0.0, node.cap)
        node_raw[node.code] = raw
        node_pts[node.code] = _clamp_round(raw, lo, hi)
    sums = {k: np.zeros(n) for k in ("regular", "bonus", "penalty")}
    for code, kind in comp.groups:
        sums[kind] = sums[kind] + node_pts[code]
    regular = _clamp_round(np.round(sums["regular"], 4), -np.inf, comp.scale)
    bonus, penalty = np.round(sums["bonus"], 4), np.round(sums["penalty"], 4)
    raw_total = np.round(regular + bonus + penalty, 4)
    total = _clamp_round(raw_total, 0.0, comp.scale + comp.bonus_cap_total)
    parts = {"regular": regular, "bonus": bonus, "penalty": penalty, "raw_total": raw_total,
             "regular_raw": np.round(sums["regular"], 4)}
    return total, node_pts, {"node_raw": node_raw, **parts}


@dataclass
class Computation:
    inputs: Inputs
    rows: list[dict] = field(default_factory=list)
    seconds: float = 0.0


def _override_score(inp: Inputs, i: int, pts: np.ndarray):
    """Exact score_entry for an entry with council overrides (rare; read its values directly)."""
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
        values[node.code] = _raw_value(node, vnum, vtext, is_na_flag)
        if not is_na_flag and pts_db is not None:
            judged[node.code] = float(pts_db)  # stored rule points (already clamped) stand as given
    for j in range(len(nodes)):
        if not math.isnan(inp.judged_agg[i, j]):
            judged[nodes[j].code] = float(inp.judged_agg[i, j])
    return score_entry(info.fw, values, judged, inp.overrides[i])


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
    pts = leaf_points(inp)
    weights = settings.get("weights") or {}
    total, node_pts, parts = tree_totals(inp, pts)
    if on_progress:
        on_progress(0.6, "totals")

    low = high = None
    if settings.get("show_intervals") and inp.judged_n.any():
        low, _np, _p = tree_totals(inp, leaf_points(inp, inp.judged_min))
        high, _np, _p = tree_totals(inp, leaf_points(inp, inp.judged_max))

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
    has_judges = ~np.isnan(inp.judged_agg)
    n_judged = has_judges.sum(axis=1).tolist()
    codes = comp.codes
    sources: dict[int, dict] = {}
    if settings.get("normalise") or settings.get("aggregation") == "median":
        for i, j in zip(*[x.tolist() for x in np.nonzero(has_judges)]):
            sources.setdefault(i, {})[codes[j]] = {
                "agg": float(inp.judged_agg[i, j]), "points": float(pts[i, j]), "n": int(inp.judged_n[i, j]),
                "judges": [[str(jid), p] for jid, p in sorted(inp.judge_points.get((i, j), []), key=str)]}
    threshold = settings.get("disagreement_threshold")
    if threshold is not None:
        spread = np.where(has_judges, inp.judged_max - inp.judged_min, 0.0)
        flagged_rows = (spread > float(threshold)).any(axis=1).tolist()
    else:
        flagged_rows = [False] * n

    # Council overrides: exact per-entry path.
    override_expl: dict[int, dict] = {}
    for i in inp.overrides:
        es = _override_score(inp, i, pts)
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
            "judged": sources.get(i),
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
            force = force or run is None
            inp = load_inputs(campaign_id)
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
            "units": len(result.rows) if result.rows is not None else None, "digest": inp.digest, "seconds": round(time.perf_counter() - t0, 4),
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
    from .freshness import enqueue_recompute

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
    from ..models import User

    return db.session.get(User, user_id)


def _warm_cache(run_id: int) -> None:
    from . import leaderboard

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
    from ..tasks import publish_snapshot

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
        inp = load_inputs(campaign_id, override)
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
            "moved": sum(1 for x in rows if x["change"]), "digest": inp.digest}


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
            values[nodes[j].code] = _raw_value(nodes[j], vnum, vtext, is_na_flag)
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
