"""The recompute's input ledger: each entry's points summed per framework node.

Why it exists: re-reading every value and every judge's score of a campaign costs about
4× a bare ``GROUP BY`` over the values (../shared/docs/performance-reliability.md §4); reading ~16 subtotal
rows per entry, kept current by the changes themselves, costs less than one.

An indicator's *effective* points are the judges' aggregate (clamped) where submitted
judges' scores exist, else the rule's points stored with the value. Per node that holds
indicators, the ledger keeps their sum, the sums at the judges' lowest/highest marks
(score intervals), how many were judged and the widest judges' spread (disagreement flag).

Two writers that must agree bit for bit (``tests/app/test_ledger.py`` checks they do):

* :func:`refresh_entries` — in the transaction of a change to a few entries (a value, a
  judge's score, an assignment), called by ``freshness`` just before commit;
* the full recompute, which derives every row from the raw tables and rewrites the ledger
  when the campaign's ``ledger_stale`` flag is set (settings or framework changes, bulk
  loads, the first run) or on a forced recompute.

Normalised judging (z-scores over each judge's marks across all entries): one changed mark
moves every entry its judge marked, so the rows then hold every point except judges' marks
(entries' rule points), and each recompute adds the judges' part from one read of the
submitted scores (:mod:`.judged`, :func:`combine`) — exact per-judge statistics, no raw values.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import sqlalchemy as sa

from campaign.extensions import db
from campaign.models import Assignment, Campaign, Entry, EntryNodeScore, IndicatorValue, JudgeScore, LedgerChange
from campaign.models.campaigns import new_ledger_token
from campaign.services.results.fastsql import fetch, fetch_matrix, insert_columns, insert_rows
from campaign.services.setup.framework_cache import FrameworkInfo, framework_info
from scoring.aggregate import aggregate as engine_aggregate
from scoring.rules import NA, clamp_round, indicator_points
from scoring.vector import clamp_round as clamp_round_array
from scoring.vector import quantise

# Campaign settings the ledger's rows depend on (a change to one needs a rebuild).
LEDGER_SETTINGS = ("aggregation", "trim_min_judges", "normalise")
CHUNK = 500


@dataclass
class Subtotals:
    """Per unit (row) × node holding indicators (``FrameworkInfo.leaf_parents``)."""

    points: np.ndarray
    low: np.ndarray
    high: np.ndarray
    judged: np.ndarray
    spread: np.ndarray

    @classmethod
    def zeros(cls, n: int, k: int) -> Subtotals:
        return cls(*(np.zeros((n, k)) for _ in range(5)))

    def arrays(self) -> tuple[np.ndarray, ...]:
        return self.points, self.low, self.high, self.judged, self.spread


def used_figures(settings: dict) -> tuple[str, ...]:
    """The Subtotals fields these settings use (the others need not be read or hashed)."""
    out = ("points", "judged")
    if settings.get("show_intervals"):
        out += ("low", "high")
    if settings.get("disagreement_threshold") is not None:
        out += ("spread",)
    return out


def usable(settings: dict) -> bool:
    """Whether per-entry rows can be kept current under these settings (always, now: under
    normalised judging they hold every point but the judges' marks, see :func:`combine`)."""
    return True


def raw_value(node, value_num, value_text, is_na_flag):
    """The value the rules expect, from a stored ``IndicatorValue`` row."""
    if is_na_flag:
        return NA
    if node.rule.kind == "judged":
        return value_text
    if node.rule.kind == "yes_no":
        if value_num is not None:
            return bool(value_num)
        return value_text
    return value_num if value_num is not None else value_text


def rule_points(node, points_db, is_na_flag, value_num, value_text) -> float:
    """Stored rule points, or the rule applied here when none were stored (n/a, imports)."""
    if is_na_flag or points_db is None:
        return indicator_points(node, raw_value(node, value_num, value_text, bool(is_na_flag))).points
    return float(points_db)


def entry_array(entry_ids) -> np.ndarray:
    """Each unit row's entry id as int64, -1 for a unit without an entry."""
    return np.array([-1 if e is None else e for e in entry_ids], dtype=np.int64)


def bounds(info: FrameworkInfo) -> tuple[np.ndarray, np.ndarray]:
    """Per indicator column, the clamp range of its points ([-max, 0] for penalties)."""
    mp = np.asarray(info.compiled.max_points, dtype=float)
    pen = np.array([r.kind == "penalty" for r in info.compiled.rules], dtype=bool)
    return np.where(pen, -mp, 0.0), np.where(pen, 0.0, mp)


def _onehot(info: FrameworkInfo, nind: int) -> np.ndarray:
    onehot = np.zeros((nind, len(info.leaf_parents)))
    onehot[np.arange(nind), info.col_parent] = 1.0
    return onehot


def combine(info: FrameworkInfo, part: Subtotals, agg: np.ndarray, low: np.ndarray, high: np.ndarray) -> Subtotals:
    """Normalised judging: the ledger's part (every point but judges' marks) plus the judges' part.

    ``agg``/``low``/``high`` are units × indicators (NaN where nobody judged), from
    :func:`.judged.read`. Both readers build the inputs this way, so they agree bit for bit.
    """
    # Only the columns someone judged (20 of 80 in the benchmark): the others add nothing.
    jc = np.flatnonzero(~np.isnan(agg).all(axis=0))
    agg, low, high = agg[:, jc], low[:, jc], high[:, jc]
    judged = ~np.isnan(agg)
    lo_b, hi_b = bounds(info)
    lo_b, hi_b = lo_b[jc], hi_b[jc]

    def clamped(x: np.ndarray) -> np.ndarray:
        return np.where(judged, clamp_round_array(np.where(judged, x, 0.0), lo_b, hi_b), 0.0)

    onehot = _onehot(info, len(info.col_parent))[jc]
    spread = np.where(judged, high - low, 0.0)
    out = Subtotals(quantise(part.points + clamped(agg) @ onehot), quantise(part.low + clamped(low) @ onehot),
                    quantise(part.high + clamped(high) @ onehot), part.judged + judged.astype(float) @ onehot,
                    part.spread.copy())
    parent_of = np.asarray(info.col_parent)[jc]
    for kk in np.unique(parent_of).tolist():
        cols = np.flatnonzero(parent_of == kk)
        out.spread[:, kk] = np.maximum(out.spread[:, kk], quantise(spread[:, cols].max(axis=1)))
    return out


def _bounds(info: FrameworkInfo, j: int) -> tuple[float, float]:
    mp = float(info.compiled.max_points[j])
    return (-mp, 0.0) if info.compiled.rules[j].kind == "penalty" else (0.0, mp)


def subtotals(info: FrameworkInfo, base: np.ndarray | None, eff: np.ndarray, low: np.ndarray,
              high: np.ndarray, judged: np.ndarray, spread: np.ndarray) -> Subtotals:
    """Sum per-indicator columns (units × indicators) into ledger columns.

    ``base`` (units × ledger columns) holds points already summed elsewhere (in SQL by the
    full recompute) and is added to the three point sums.
    """
    n, k = eff.shape[0], len(info.leaf_parents)
    onehot = np.zeros((eff.shape[1], k))
    onehot[np.arange(eff.shape[1]), info.col_parent] = 1.0
    add = np.zeros((n, k)) if base is None else base
    out = Subtotals(quantise(add + eff @ onehot), quantise(add + low @ onehot),
                    quantise(add + high @ onehot), judged.astype(float) @ onehot, np.zeros((n, k)))
    for kk in range(k):
        cols = np.nonzero(info.col_parent == kk)[0]
        if len(cols):
            out.spread[:, kk] = quantise(spread[:, cols].max(axis=1))
    return out


@dataclass
class EntryColumns:
    """Per-indicator figures of some entries (rows in the order the entries were given)."""

    eff: np.ndarray
    low: np.ndarray
    high: np.ndarray
    judged: np.ndarray  # bool
    spread: np.ndarray
    agg: np.ndarray  # judges' aggregate before clamping, NaN where not judged


def entry_columns(info: FrameworkInfo, settings: dict, entry_ids: list[int]) -> EntryColumns:
    """Effective points of each indicator of the given entries, from their rows (Python)."""
    row_of = {e: i for i, e in enumerate(entry_ids)}
    m, nind = len(entry_ids), len(info.compiled.codes)
    rule = np.zeros((m, nind))
    nodes = info.fw.indicators()
    marks: dict[tuple[int, int], list[float]] = {}
    for k in range(0, m, CHUNK):
        chunk = entry_ids[k:k + CHUNK]
        for eid, iid, pts, is_na_flag, vnum, vtext in fetch(
                sa.select(IndicatorValue.entry_id, IndicatorValue.indicator_id, IndicatorValue.points,
                          IndicatorValue.is_na, IndicatorValue.value_num, IndicatorValue.value_text)
                .where(IndicatorValue.entry_id.in_(chunk))):
            j = info.col_of.get(iid)
            if j is not None:
                rule[row_of[eid], j] = rule_points(nodes[j], pts, is_na_flag, vnum, vtext)
        for eid, iid, pts in fetch(
                sa.select(Assignment.entry_id, JudgeScore.indicator_id, JudgeScore.points)
                .join(Assignment, Assignment.id == JudgeScore.assignment_id)
                .where(Assignment.entry_id.in_(chunk), Assignment.status == "submitted")
                .order_by(Assignment.entry_id, JudgeScore.indicator_id, Assignment.judge_id)):
            j = info.col_of.get(iid)
            if j is not None:
                marks.setdefault((row_of[eid], j), []).append(float(pts))
    out = EntryColumns(rule.copy(), rule.copy(), rule.copy(), np.zeros((m, nind), dtype=bool),
                       np.zeros((m, nind)), np.full((m, nind), np.nan))
    method = settings.get("aggregation", "mean")
    trim_min = int(settings.get("trim_min_judges", 3) or 3)
    for (i, j), pts in marks.items():
        lo, hi = _bounds(info, j)
        agg = engine_aggregate(pts, method, trim_min)
        out.agg[i, j] = agg
        out.eff[i, j] = clamp_round(agg, lo, hi)
        out.low[i, j] = clamp_round(min(pts), lo, hi)
        out.high[i, j] = clamp_round(max(pts), lo, hi)
        out.judged[i, j] = True
        out.spread[i, j] = max(pts) - min(pts)
    return out


COLUMNS = ["campaign_id", "entry_id", "node_id", "points", "points_low", "points_high", "judged", "spread"]


def row_columns(campaign_id: int, info: FrameworkInfo, entry_ids: list, sub: Subtotals,
                only: np.ndarray | None = None) -> list[np.ndarray]:
    """Ledger rows as one array per ``COLUMNS`` entry (all-zero rows left out: a missing row
    reads as zeros). ``only`` (bool per row) keeps the rows of some entries. Column-wise with
    numpy: a rebuild writes ~16 rows per entry."""
    ent = entry_array(entry_ids)
    keep = np.zeros(sub.points.shape, dtype=bool)
    for arr in sub.arrays():
        keep |= arr != 0
    keep &= ((ent >= 0) if only is None else ((ent >= 0) & only))[:, None]
    i, kk = np.nonzero(keep)
    return [np.full(len(i), campaign_id, dtype=np.int64), ent[i], np.asarray(info.leaf_parent_ids, dtype=np.int64)[kk],
            *(arr[i, kk].astype(float) for arr in (sub.points, sub.low, sub.high)),
            sub.judged[i, kk].astype(np.int64), sub.spread[i, kk].astype(float)]


def rows(campaign_id: int, info: FrameworkInfo, entry_ids: list, sub: Subtotals,
         only: np.ndarray | None = None) -> list[tuple]:
    """Ledger rows as tuples in ``COLUMNS`` order (see :func:`row_columns`)."""
    return list(zip(*(a.tolist() for a in row_columns(campaign_id, info, entry_ids, sub, only)), strict=True))


def _write(campaign_id: int, info: FrameworkInfo, entry_ids: list, sub: Subtotals,
           only: np.ndarray | None = None) -> None:
    insert_columns(EntryNodeScore.__table__, COLUMNS, row_columns(campaign_id, info, entry_ids, sub, only))


def refresh_entries(campaign_id: int, entry_ids: Iterable[int]) -> None:
    """Rewrite these entries' ledger rows from their current values and judges' scores.

    Runs inside the changing transaction (after the campaign row was updated by
    ``mark_stale``, which on PostgreSQL serialises concurrent refreshes of one campaign).
    Does nothing while the whole ledger awaits a rebuild.
    """
    state = db.session.execute(sa.select(Campaign.ledger_stale, Campaign.settings, Campaign.framework_version_id,
                                         Campaign.inputs_version).where(Campaign.id == campaign_id)).first()
    if state is None or state.ledger_stale or state.framework_version_id is None:
        return
    settings = state.settings or {}
    ids = sorted(db.session.scalars(sa.select(Entry.id).where(Entry.campaign_id == campaign_id,
                                                              Entry.id.in_(sorted(set(entry_ids))))))
    if not ids:
        return
    info = framework_info(state.framework_version_id)
    cols = entry_columns(info, settings, ids)
    if settings.get("normalise"):  # judges' marks are added at read time (combine)
        rest = np.where(cols.judged, 0.0, cols.eff)
        sub = subtotals(info, None, rest, rest, rest, np.zeros(rest.shape, dtype=bool), np.zeros(rest.shape))
    else:
        sub = subtotals(info, None, cols.eff, cols.low, cols.high, cols.judged, cols.spread)
    db.session.execute(sa.delete(EntryNodeScore).where(EntryNodeScore.campaign_id == campaign_id,
                                                       EntryNodeScore.entry_id.in_(ids)))
    _write(campaign_id, info, ids, sub)
    # Tell the workers' in-memory copies which entries to read again (ledger_cache): this
    # change's version is the campaign's, already bumped in this transaction by mark_stale.
    db.session.execute(sa.delete(LedgerChange).where(LedgerChange.campaign_id == campaign_id,
                                                     LedgerChange.entry_id.in_(ids)))
    insert_rows(LedgerChange.__table__, ["campaign_id", "entry_id", "version"],
                [(campaign_id, eid, int(state.inputs_version)) for eid in ids])


def _new_build(campaign_id: int) -> None:
    """The ledger was rewritten campaign-wide: a new token makes every worker's copy read it
    again, and the per-entry change marks are no longer needed."""
    db.session.execute(sa.delete(LedgerChange).where(LedgerChange.campaign_id == campaign_id))
    db.session.execute(sa.update(Campaign).where(Campaign.id == campaign_id)
                       .values(ledger_stale=False, ledger_token=new_ledger_token()))


def replace_all(campaign_id: int, info: FrameworkInfo, entry_ids: list, sub: Subtotals) -> None:
    """Rewrite the campaign's whole ledger (the caller checked no change landed meanwhile)."""
    db.session.execute(sa.delete(EntryNodeScore).where(EntryNodeScore.campaign_id == campaign_id))
    _write(campaign_id, info, entry_ids, sub)
    _new_build(campaign_id)


def sync(campaign_id: int, info: FrameworkInfo, entry_ids: list, sub: Subtotals, stored_now: Stored | None = None
         ) -> int:
    """Make the stored ledger equal ``sub``, rewriting only the entries whose rows differ.

    A forced or settings-driven rebuild mostly finds the ledger already right (one range scan
    instead of deleting and re-inserting ~16 rows per entry). Rows that do not map onto
    this layout (another framework version, an entry no longer taking part) or a majority of
    changed entries fall back to :func:`replace_all`, and so does a ledger flagged stale (a
    settings or framework change: the rows are known to be outdated, so they are not read
    back). ``stored_now``: the stored rows as the caller read them since this recompute's version
    was read (else they are read here). Returns the number of entries rewritten.
    """
    n = len(sub.points)
    if db.session.scalar(sa.select(Campaign.ledger_stale).where(Campaign.id == campaign_id)):
        replace_all(campaign_id, info, entry_ids, sub)
        return n
    ent = entry_array(entry_ids)
    old = (stored_now if stored_now is not None else stored(campaign_id, info, ent)).rows
    if old is None:  # rows that do not map onto this layout
        replace_all(campaign_id, info, entry_ids, sub)
        return n
    differ = np.zeros(n, dtype=bool)
    for new_arr, old_arr in zip(sub.arrays(), old.arrays(), strict=True):
        differ |= (new_arr != old_arr).any(axis=1)
    differ &= ent >= 0
    changed = ent[differ].tolist()
    if len(changed) * 2 > n:
        replace_all(campaign_id, info, entry_ids, sub)
        return len(changed)
    for start in range(0, len(changed), CHUNK):
        db.session.execute(sa.delete(EntryNodeScore).where(EntryNodeScore.campaign_id == campaign_id,
                                                           EntryNodeScore.entry_id.in_(changed[start:start + CHUNK])))
    _write(campaign_id, info, entry_ids, sub, only=differ)
    if changed:
        _new_build(campaign_id)
    else:
        db.session.execute(sa.update(Campaign).where(Campaign.id == campaign_id).values(ledger_stale=False))
    return len(changed)


@dataclass
class Stored:
    """The ledger as stored, by unit row; ``rows`` None when a row does not map onto the layout."""

    rows: Subtotals | None


def stored(campaign_id: int, info: FrameworkInfo, ent: np.ndarray) -> Stored:
    """The stored ledger by unit row (``ent``: each row's entry id)."""
    old = Subtotals.zeros(len(ent), len(info.leaf_parents))
    a = fetch_matrix(sa.select(EntryNodeScore.entry_id, EntryNodeScore.node_id,
                               *(COLUMN_OF[f] for f in FIGURES)).where(EntryNodeScore.campaign_id == campaign_id),
                     2 + len(FIGURES))
    if len(a):
        r = index_of(ent, a[:, 0].astype(np.int64))
        cols = index_of(np.array(info.leaf_parent_ids, dtype=np.int64), a[:, 1].astype(np.int64))
        if (r < 0).any() or (cols < 0).any():
            return Stored(None)
        for src, name in enumerate(FIGURES, start=2):
            getattr(old, name)[r, cols] = a[:, src]
    return Stored(old)


COLUMN_OF = {"points": EntryNodeScore.points, "low": EntryNodeScore.points_low, "high": EntryNodeScore.points_high,
              "judged": EntryNodeScore.judged, "spread": EntryNodeScore.spread}
FIGURES = ("points", "low", "high", "judged", "spread")  # Subtotals' fields, in its order


def read(campaign_id: int, info: FrameworkInfo, n: int, rows_for, figures: tuple[str, ...]) -> Subtotals:
    """The campaign's ledger as matrices (only ``figures``; the rest stay zero).

    ``rows_for`` maps entry ids to unit rows (-1: not a participant).
    """
    out = Subtotals.zeros(n, len(info.leaf_parents))
    a = fetch_matrix(sa.select(EntryNodeScore.entry_id, EntryNodeScore.node_id, *(COLUMN_OF[f] for f in figures))
                     .where(EntryNodeScore.campaign_id == campaign_id), 2 + len(figures))
    if not len(a):
        return out
    r = rows_for(a[:, 0].astype(np.int64))
    cols = index_of(np.array(info.leaf_parent_ids, dtype=np.int64), a[:, 1].astype(np.int64))
    ok = (r >= 0) & (cols >= 0)
    for src, name in enumerate(figures, start=2):
        getattr(out, name)[r[ok], cols[ok]] = a[ok, src]
    return out


def index_of(keys: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Position of each value in ``keys`` (unsorted, unique), -1 where absent; vectorised.

    Integer keys spanning a range not much wider than their number (database ids) are looked up
    in a table over that range: one gather per value instead of a binary search (6,000,000
    marks among 300,000 assignments at 100,000 units: ~0.45 s less).
    """
    if len(keys) == 0:
        return np.full(len(values), -1, dtype=np.int64)
    keys, values = np.asarray(keys), np.asarray(values)
    if keys.dtype.kind in "iu" and values.dtype.kind in "iu":
        lo, hi = int(keys.min()), int(keys.max())
        if hi - lo < 4 * len(keys) + (1 << 16):
            table = np.full(hi - lo + 1, -1, dtype=np.int64)
            table[keys[::-1] - lo] = np.arange(len(keys) - 1, -1, -1)  # a repeated key: its first position
            at = values.astype(np.int64) - lo
            inside = (at >= 0) & (at <= hi - lo)
            out = np.full(len(values), -1, dtype=np.int64)
            out[inside] = table[at[inside]]
            return out
    order = np.argsort(keys, kind="stable")
    pos = np.clip(np.searchsorted(keys[order], values), 0, len(keys) - 1)
    return np.where(keys[order][pos] == values, order[pos], -1)
