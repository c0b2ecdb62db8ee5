"""Reading a campaign's result inputs from the database into the engine's :class:`CampaignInputs`.

Two readers (../shared/docs/performance-reliability.md §4):

* the **ledger** (:mod:`.ledger`): each entry's points already summed per framework node,
  kept current by the changes themselves — one range scan of ~16 rows per entry;
* the **raw tables**, set-based: each entry's stored rule points summed per parent node
  (:func:`_value_sums`); judges' submitted scores are read once and aggregated per
  (entry, indicator) in numpy (:mod:`.judged`); used when the ledger awaits a rebuild (settings or framework changes, bulk
  loads, first run), for forced recomputes, normalised judging and what-if previews. It
  then rewrites the ledger.

Both give the same per-node subtotals, bit for bit: every figure is on the engine's 1e-9 grid
(:func:`scoring.rules.round_points`), where the order of summation does not matter.
"""
from __future__ import annotations

import hashlib
import json
import marshal
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

import numpy as np
import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from campaign.extensions import db
from campaign.models import Campaign, CampaignUnit, Entry, IndicatorValue, Override, Unit
from campaign.services.errors import DomainError
from campaign.services.results import condition_values, judged, ledger, ledger_cache
from campaign.services.results.fastsql import among, fetch, fetch_matrix
from campaign.services.results.ledger import Subtotals, raw_value, rule_points
from campaign.services.setup.campaigns import get_campaign
from campaign.services.setup.framework_cache import FrameworkInfo, framework_info
from campaign.sqlite import read_only_transactions
from scoring.campaign import CampaignInputs, OverriddenEntry
from scoring.vector import clamp_round

T = TypeVar("T")
AGGREGATIONS = ("mean", "median", "trimmed_mean")
# An entry competes once it left the draft state (submitted, returned for clarification,
# resubmitted, appraised); a draft is "not submitted".
COMPETING = ("submitted", "clarification_requested", "resubmitted", "appraised")


@dataclass
class Inputs:
    """A campaign's inputs as read: the engine's :class:`CampaignInputs` plus the bookkeeping."""

    campaign_id: int
    inputs_version: int
    status: str
    settings: dict
    info: FrameworkInfo
    engine: CampaignInputs
    sub: Subtotals  # units × nodes holding indicators
    from_raw: bool = False  # read from the raw tables (the ledger may be rewritten from it)
    digest: str = ""
    sources: dict = field(default_factory=dict)
    ledger_sub: Subtotals | None = None  # what the ledger holds when it is not ``sub`` (normalised judging)
    stored_ledger: ledger.Stored | None = None  # the ledger as stored, read beside the raw rows (rebuilds)

    @property
    def entry_ids(self) -> list:
        return list(self.engine.entry_ids)

    @property
    def unit_ids(self) -> np.ndarray:
        return np.asarray(self.engine.unit_ids, dtype=np.int64)


def _settings(campaign: Campaign, override: dict | None) -> dict:
    s = dict(campaign.settings or {})
    if override:
        s.update(override)
    return s


def _epoch(dt) -> float | None:
    return None if dt is None else dt.timestamp()


def load_inputs(campaign_id: int, settings_override: dict | None = None, *, from_raw: bool = True,
                read_stored_ledger: bool = False) -> Inputs:
    """Read every input of a campaign's result with a handful of set-based queries.

    ``from_raw=False`` reads the ledger instead of values and judges' scores; it is only
    valid when the campaign's ledger is current and the settings allow it.
    ``read_stored_ledger`` (a recompute that will rewrite the ledger from raw rows) also reads
    the ledger's stored rows on the second connection, beside the raw rows, for
    :func:`.ledger.sync` to compare with (where there is no second connection, sync reads them).
    """
    c = get_campaign(campaign_id)
    if c.framework_version_id is None:
        raise DomainError(_("Phong trào chưa có bảng chấm điểm."))
    inputs_version = c.inputs_version
    settings = _settings(c, settings_override)
    if settings.get("aggregation", "mean") not in AGGREGATIONS:
        raise DomainError(_("Phương pháp tổng hợp điểm giám khảo không hợp lệ."))
    info = framework_info(c.framework_version_id)

    (unit_ids, clusters, levels, parents, populations, codes, entry_col, self_totals, first_submitted,
     statuses) = _participants(campaign_id)
    n = len(unit_ids)
    entry_ids = list(entry_col)
    ent_arr = ledger.entry_array(entry_ids)

    def rows_for(entry_col: np.ndarray) -> np.ndarray:
        """Unit row of each entry id (-1 for entries not among the participants)."""
        return ledger.index_of(ent_arr, entry_col)

    def ledger_rows() -> Subtotals:  # this process's copy of the ledger, brought up to date
        return ledger_cache.read(campaign_id, info, n, rows_for, ledger.used_figures(settings),
                                 version=inputs_version, token=c.ledger_token)

    ledger_sub, stored = None, None
    if from_raw:
        with_stored = read_stored_ledger and ledger.usable(settings) and not c.ledger_stale
        sub, sources, ledger_sub, stored = _read_raw(campaign_id, info, settings, n, entry_ids, ent_arr, rows_for,
                                                     with_stored)
    elif settings.get("normalise"):  # the ledger holds every point but the judges' marks: add them
        rest = ledger_rows()  # (brings this process's copy up to date: its marks too)
        marks = ledger_cache.marks(campaign_id, info, version=inputs_version, token=c.ledger_token)
        jd = judged.read(campaign_id, info, settings, n, rows_for, marks)
        sub = ledger.combine(info, rest, jd.agg, jd.low, jd.high)
        sources = jd.sources
    else:
        sub, sources = ledger_rows(), {}

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
    overridden = {i: _overridden_entry(info, settings, entry_ids[i], judged.aggregates_of(sources, i), overrides[i], reasons[i])
                  for i in sorted(overrides)}

    engine = CampaignInputs(
        fw=info.fw, compiled=info.compiled, settings=settings,
        unit_ids=tuple(map(int, unit_ids)), entry_ids=entry_col,
        submitted=tuple(s in COMPETING for s in statuses),
        levels=levels, parents=parents, populations=populations, clusters=clusters,
        unit_codes=codes, self_totals=self_totals, first_submitted=tuple(map(_epoch, first_submitted)),
        points=sub.points, judged=sub.judged, low=sub.low, high=sub.high, spread=sub.spread,
        overridden=overridden, judged_detail=sources, marks_hashes=getattr(sources, "hashes", None),
        condition_values=condition_values.read(campaign_id, info, entry_ids))  # issue 16: conditions' values
    inp = Inputs(campaign_id=campaign_id, inputs_version=inputs_version, status=c.status, settings=settings,
                 info=info, engine=engine, sub=sub, from_raw=from_raw, sources=sources, ledger_sub=ledger_sub,
                 stored_ledger=stored)
    inp.digest = _digest(inp)
    return inp


_PARTICIPANT_COLUMNS = (CampaignUnit.unit_id, CampaignUnit.cluster_id, Unit.level, Unit.parent_id, Unit.population,
                        Unit.code, Entry.id, Entry.self_total, Entry.first_submitted_at, Entry.status)


def _participants(campaign_id: int) -> list[tuple]:
    """The campaign's units in unit id order, as one tuple per column of ``_PARTICIPANT_COLUMNS``
    (entry columns None for a unit without an entry).

    Plain DBAPI rows transposed in C (``zip``) instead of 100,000 ORM rows (~0.3 s at 100,000
    units); each column gets the same Python values the ORM would give (its type's result
    processor where the driver's value differs, e.g. SQLite's datetimes as text).
    """
    stmt = (sa.select(*_PARTICIPANT_COLUMNS)
            .join(Unit, Unit.id == CampaignUnit.unit_id)
            .outerjoin(Entry, sa.and_(Entry.campaign_id == CampaignUnit.campaign_id, Entry.unit_id == CampaignUnit.unit_id))
            .where(CampaignUnit.campaign_id == campaign_id)
            .order_by(CampaignUnit.unit_id))
    types: list = []
    rows = fetch(stmt, types)
    cols = list(zip(*rows, strict=True)) if rows else [() for _ in _PARTICIPANT_COLUMNS]
    dialect = db.session.connection().dialect
    for k, (column, coltype) in enumerate(zip(_PARTICIPANT_COLUMNS, types, strict=True)):
        proc = column.type.dialect_impl(dialect).result_processor(dialect, coltype)
        if proc is not None:
            cols[k] = tuple(map(proc, cols[k]))
    return cols


def with_settings(inp: Inputs, settings: dict) -> Inputs:
    """The same inputs under other (ranking-only) settings, e.g. for a what-if preview."""
    return replace(inp, settings=settings, engine=replace(inp.engine, settings=settings))


def _overridden_entry(info: FrameworkInfo, settings: dict, eid: int, normalised: dict | None,
                      overrides: dict, reasons: dict) -> OverriddenEntry:
    """An entry with council overrides: its raw values and judges' figures (rare; read directly)."""
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
    if normalised:  # normalised: the aggregates this run computed
        judged.update(normalised)
    else:
        cols = ledger.entry_columns(info, settings, [eid])
        for j in np.nonzero(cols.judged[0])[0].tolist():
            judged[nodes[j].code] = float(cols.agg[0, j])
    return OverriddenEntry(values, judged, overrides, reasons)


def _read_raw(campaign_id: int, info: FrameworkInfo, settings: dict, n: int, entry_ids: list, ent_arr: np.ndarray,
              rows_for, with_stored: bool) -> tuple[Subtotals, dict, Subtotals | None, ledger.Stored | None]:
    """Per-node subtotals from values and judges' scores (set-based), normalised detail, the
    ledger's rows when they differ from the subtotals (normalised judging: all but judges' marks),
    and (``with_stored``, where a second connection reads) the ledger as stored."""
    nind = len(info.compiled.codes)
    row_of_entry = {e: i for i, e in enumerate(entry_ids) if e is not None}
    normalise = bool(settings.get("normalise"))
    # Columns whose points may come from judges (judged/manual rules, and any column with a
    # judge's score) are left out of the per-node sums; their stored values are read only
    # where an entry has no judges' score on them. Every other stored point is summed per
    # (entry, parent node) — ONE scan of the campaign's values (:func:`_value_sums`), which also
    # finds the rows that need Python. On PostgreSQL (and a SQLite file) the values and the judges'
    # marks are read on two connections at once (two cores, ~40% of a rebuild); the second then
    # reads the stored ledger for a rebuild to compare with (safe there too: the ledger is
    # rewritten only if no change landed since this read began, and a rebuild of the same version
    # writes the same rows). PostgreSQL reads the marks on the second connection (the longer read;
    # they are grouped here while the stored ledger is read); SQLite the values (its GROUP BY runs
    # in C without the GIL while this thread turns the marks' rows into arrays). The scan assumes
    # judges marked only judged/manual columns; a campaign where they marked another column scans
    # again once the marks are known.
    expected = set(info.row_cols)

    def values() -> tuple[np.ndarray, list[int]]:
        return _value_sums(campaign_id, info, expected, n, rows_for, ent_arr)

    def marks() -> judged.Marks:
        return judged.fetch_marks(campaign_id, info)

    first: Future = Future()
    pending, marks_behind = None, False
    if _second_connection_possible():
        marks_behind = db.session.get_bind().dialect.name == "postgresql"
        pending = _in_background(_background_reads, marks if marks_behind else values, first, ent_arr, info,
                                 campaign_id, with_stored)
    # Judges' submitted marks: every mark read once and grouped in numpy (.judged), for every
    # aggregation — the same figures, bit for bit, as scoring.aggregate gives. (A GROUP BY per
    # (entry, indicator) in SQL was 2× slower on PostgreSQL at 100,000 units: its 2,000,000
    # groups outgrow the hash table's memory; it also summed in the database's order.)
    try:
        if marks_behind:
            s = values()
            jd = judged.read(campaign_id, info, settings, n, rows_for, first.result(), fresh=True)
        else:
            jd = judged.read(campaign_id, info, settings, n, rows_for, marks(), fresh=True)
            s = first.result() if pending is not None else values()
    finally:
        stored = pending.result() if pending is not None else None  # (never left running)
    judged_agg, judged_min, judged_max, judged_n = jd.agg, jd.low, jd.high, jd.n
    judged_cols = set(np.nonzero(judged_n.any(axis=0))[0].tolist())
    row_cols = expected | judged_cols
    if row_cols != expected:
        s = _value_sums(campaign_id, info, row_cols, n, rows_for, ent_arr)
    base, special_entries = s

    row_points = np.zeros((n, nind))
    nodes = info.fw.indicators()

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

    judged_mask = ~np.isnan(judged_agg)
    if normalise:  # the ledger's part (all but judges' marks) plus the judges' part, as the ledger reader
        rest = np.where(judged_mask, 0.0, row_points)
        part = ledger.subtotals(info, base, rest, rest, rest, np.zeros(rest.shape, dtype=bool), np.zeros(rest.shape))
        return ledger.combine(info, part, judged_agg, judged_min, judged_max), jd.sources, part, stored
    eff = _leaf_points(info, row_points, judged_agg)
    sub = ledger.subtotals(info, base, eff, _leaf_points(info, row_points, judged_min),
                           _leaf_points(info, row_points, judged_max), judged_mask,
                           np.where(judged_mask, judged_max - judged_min, 0.0))
    return sub, {}, None, stored


def _background_reads(read: Callable[[], T], first: Future[T], ent_arr: np.ndarray, info: FrameworkInfo,
                      campaign_id: int, with_stored: bool) -> ledger.Stored | None:
    """What the second connection reads: ``read`` (handed over through ``first`` as soon as it is
    done), then (a rebuild) the stored ledger."""
    try:
        first.set_result(read())
    except BaseException as exc:
        first.set_exception(exc)
        raise
    return ledger.stored(campaign_id, info, ent_arr) if with_stored else None


def _value_sums(campaign_id: int, info: FrameworkInfo, row_cols: set, n: int, rows_for, ent_arr: np.ndarray
                ) -> tuple[np.ndarray, list[int]]:
    """The one scan of the campaign's stored values, leaving out the ``row_cols`` columns: their
    points summed per (unit row, ledger column), and the entries with values that need Python
    (not applicable / saved without points).

    PostgreSQL sends the rows themselves (16 bytes each, :func:`.fastsql.fetch_matrix`) and numpy
    sums them: its own ``GROUP BY entry, node`` of ~16 groups per unit cost ~3× the bare
    ``GROUP BY entry`` (a parallel hash aggregate whose partial groups barely merge, then every
    group re-hashed), the rows themselves ~1.5×. SQLite groups in SQL (its rows reach Python as
    tuples, which cost more than its grouping).
    """
    k = len(info.leaf_parents)
    # The participants' entries (``ent_arr``); on PostgreSQL a range of ids where they fill one (the
    # values of other entries in it are dropped by ``rows_for`` below).
    in_campaign, entries = among(IndicatorValue.entry_id, ent_arr[ent_arr >= 0],
                                 sa.select(Entry.id).where(Entry.campaign_id == campaign_id))
    ok = sa.and_(IndicatorValue.is_na.is_(False), IndicatorValue.points.is_not(None))
    on_pg = db.session.get_bind().dialect.name == "postgresql"
    span = max(info.ind_ids, default=0) + 1
    packed = on_pg and span < PACK_IDS  # (entry ids are 32-bit: entry × span + indicator stays below 2⁵³)
    if on_pg:  # (entry, indicator, points or NaN where Python gives them); at most one row per
        # (entry, indicator) of this version: a bound on the bytes (a larger campaign reads tuples).
        # Entry and indicator travel packed as one 64-bit number (~10 % less work for the server).
        included = [iid for j, iid in enumerate(info.ind_ids) if j not in row_cols]
        points = sa.case((ok, IndicatorValue.points), else_=sa.cast(sa.literal_column("'NaN'"), sa.Float))
        ids = ((sa.cast(IndicatorValue.entry_id, sa.BigInteger) * span + IndicatorValue.indicator_id,) if packed
               else (IndicatorValue.entry_id, IndicatorValue.indicator_id))
        m = fetch_matrix(sa.select(*ids, points).where(in_campaign, IndicatorValue.indicator_id.in_(included or [-1])),
                         len(ids) + 1, max_rows=max(n, entries) * len(included))
    else:  # (entry, ledger column, sum of points, rows Python gives)
        excluded = [info.ind_ids[j] for j in sorted(row_cols)]
        ledger_col = _ledger_column(info, row_cols)  # no join to indicator_node: a plan ANALYZE cannot turn
        m = fetch_matrix(sa.select(IndicatorValue.entry_id, ledger_col,
                                   sa.func.sum(sa.case((ok, IndicatorValue.points), else_=0.0)),
                                   sa.func.sum(sa.case((ok, 0), else_=1)))
                         .where(in_campaign, *((IndicatorValue.indicator_id.not_in(excluded),) if excluded else ()))
                         .group_by(IndicatorValue.entry_id, ledger_col), 4)
    base = np.zeros(n * k)
    special_entries: set[int] = set()
    for lo in range(0, len(m), SUM_CHUNK):  # temporaries of SUM_CHUNK rows, not of 6,000,000 (peak RSS)
        part = m[lo:lo + SUM_CHUNK]
        eids = part[:, 0].astype(np.int64)
        if on_pg:
            iids = eids % span if packed else part[:, 1].astype(np.int64)
            eids = eids // span if packed else eids
            cols, special = _ledger_columns(info, iids), np.isnan(part[:, -1])
            points = np.where(special, 0.0, part[:, -1])
        else:
            cols, special, points = part[:, 1].astype(np.int64), part[:, 3] > 0, part[:, 2]
        rows = rows_for(eids)
        keep = (rows >= 0) & (cols >= 0)  # cols -1: a value of an indicator outside this framework version
        special_entries.update(eids[keep & special].tolist())  # not applicable / no points: see below
        base += np.bincount(rows[keep] * k + cols[keep], weights=points[keep], minlength=n * k)
    return base.reshape(n, k), sorted(special_entries)


SUM_CHUNK = 1_000_000
PACK_IDS = 1 << 21  # indicator ids below this are packed with the entry id (2³¹ × 2²¹ < 2⁵³)


def _ledger_columns(info: FrameworkInfo, indicator_ids: np.ndarray) -> np.ndarray:
    """Each indicator id's ledger column (-1 outside this framework version)."""
    ids = np.asarray(info.ind_ids, dtype=np.int64)
    if not len(ids) or not len(indicator_ids):
        return np.full(len(indicator_ids), -1, dtype=np.int64)
    top = int(max(ids.max(), indicator_ids.max()))
    if top >= 1 << 22 or int(indicator_ids.min()) < 0:  # (a table of at most 32 MB, as judged.read)
        at = ledger.index_of(ids, indicator_ids)
        return np.where(at >= 0, np.asarray(info.col_parent)[np.maximum(at, 0)], -1)
    table = np.full(top + 1, -1, dtype=np.int64)
    table[ids] = info.col_parent
    return table[indicator_ids]


def _second_connection_possible() -> bool:
    """PostgreSQL, or a SQLite file in WAL mode (readers do not block each other; the sqlite3
    module lets go of the GIL while SQLite works). Not an in-memory SQLite (one connection)."""
    bind = db.session.get_bind()
    return bind.dialect.name == "postgresql" or (bind.dialect.name == "sqlite"
                                                 and bind.url.database not in (None, "", ":memory:"))


def _in_background(read: Callable[..., T], *args: Any) -> Future[T]:
    """Run ``read`` on a thread with its own session, hence its own connection and transaction.

    Safe under the freshness protocol: like every read of the recompute it starts after the
    campaign's ``inputs_version`` was read, and a change committed meanwhile raised that version
    (the result is then written as stale and the ledger is not rewritten from it). The thread is
    joined before the caller goes on (``result()``), and its session closed with its app context.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def run() -> T:
        with app.app_context(), read_only_transactions():  # (SQLite: a plain BEGIN, not the write lock)
            try:
                return read(*args)
            finally:
                db.session.rollback()

    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="recompute-read")
    try:
        return pool.submit(run)
    finally:
        pool.shutdown(wait=False)  # the thread ends with its one task


def _ledger_column(info: FrameworkInfo, skip: set):
    """SQL mapping an indicator id to its ledger column (-1 outside the framework), as a binary
    search over runs of consecutive ids under one node; ``skip`` columns' ids may go anywhere
    (the query leaves them out). A few integer comparisons per row instead of a join."""
    col_of_id = {iid: (-2 if j in skip else int(info.col_parent[j])) for j, iid in enumerate(info.ind_ids)}
    runs: list[list[int]] = []  # [first id, last id, ledger column]
    for iid in sorted(col_of_id):
        k = col_of_id[iid]
        if runs and runs[-1][1] == iid - 1 and (k == -2 or runs[-1][2] in (k, -2)):
            runs[-1][1] = iid
            runs[-1][2] = k if runs[-1][2] == -2 else runs[-1][2]
        else:
            runs.append([iid, iid, k])
    iid_col = IndicatorValue.indicator_id

    def tree(lo: int, hi: int):
        if hi - lo == 1:
            first, last, k = runs[lo]
            return sa.case((iid_col.between(first, last), max(k, -1)), else_=-1)
        mid = (lo + hi) // 2
        return sa.case((iid_col < runs[mid][0], tree(lo, mid)), else_=tree(mid, hi))
    return tree(0, len(runs)) if runs else sa.literal(-1)


def _leaf_points(info: FrameworkInfo, row_points: np.ndarray, judged: np.ndarray) -> np.ndarray:
    """Row-read columns' points: judges' figure (clamped) where present, else the rule's."""
    pts = row_points.copy()
    comp = info.compiled
    for j in np.nonzero(~np.isnan(judged).all(axis=0))[0]:
        mp = float(comp.max_points[j])
        lo, hi = (-mp, 0.0) if comp.rules[j].kind == "penalty" else (0.0, mp)
        col = judged[:, j]
        has = ~np.isnan(col)
        pts[has, j] = clamp_round(col[has], lo, hi)
    return pts


def _digest(inp: Inputs) -> str:
    e = inp.engine
    h = hashlib.sha256()
    h.update(inp.info.digest.encode())
    h.update(json.dumps(inp.settings, sort_keys=True, default=str).encode())
    h.update(_columns_bytes((e.unit_ids, e.entry_ids, e.submitted, e.levels, e.parents, e.populations,
                             e.clusters, e.self_totals, e.first_submitted)))
    for name in ledger.used_figures(inp.settings):  # both readers give these; the rest may be unread
        h.update(np.ascontiguousarray(getattr(inp.sub, name)).tobytes())
    h.update(json.dumps(sorted((k, sorted(v.overrides.items()), sorted(v.reasons.items()))
                               for k, v in e.overridden.items()), default=str).encode())
    fingerprint = getattr(inp.sources, "fingerprint", None)  # normalised detail: hashed from its arrays
    h.update(fingerprint if fingerprint is not None else json.dumps(sorted(inp.sources.items()), sort_keys=True).encode())
    if e.condition_values:
        h.update(json.dumps(sorted(e.condition_values.items()), sort_keys=True, default=str).encode())
    return h.hexdigest()


def _columns_bytes(columns: tuple) -> bytes:
    """The participants' columns as bytes for the digest: ``marshal`` (type-exact, ~10× faster than
    JSON over 100,000 units); version 2 writes no back-references, so equal values give equal bytes
    however the objects are shared. JSON when a value is not marshallable."""
    try:
        return marshal.dumps(tuple(tuple(c) for c in columns), 2)
    except ValueError:
        return json.dumps([list(c) for c in columns], default=str).encode()
