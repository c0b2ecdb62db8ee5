"""Judges' submitted scores per (entry, indicator), vectorised: aggregate, lowest, highest, count.

Used by the raw reader for every aggregation, and for normalised judging by every recompute:
a z-score depends on its judge's marks across ALL entries, so one changed score moves every
entry that judge marked and the ledger cannot hold normalised points. Under normalisation the
ledger holds everything else (rule points, :func:`.ledger.refresh_entries`) and this part is
added when the inputs are read (:func:`.ledger.combine`), the same way on both paths.

One read of the submitted scores (two numbers per mark), then numpy: the z-scores with
:func:`scoring.aggregate.zscore_stats` / :func:`~scoring.aggregate.zscore_apply` (bit for bit
:func:`zscore_normalise`), the
aggregate per (entry, indicator) as :func:`scoring.aggregate.aggregate` gives it (sums on the
1e-9 grid; the rare group whose mean lies within rounding of a half-grid tie is recomputed by
``aggregate`` itself).

Under normalisation the result rows do not store the judges' normalised detail (it was ~75% of
the rows' bytes): the run stores the normalisation statistics once (``ScoreRun.normalisation``,
:class:`scoring.aggregate.ZStats`) and each row a hash of its entry's raw marks; an explanation
rebuilds its entry's detail exactly from those marks and statistics (:func:`entry_detail`).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import sqlalchemy as sa

from campaign.extensions import db
from campaign.models import Assignment, Entry, JudgeScore
from campaign.services.results.fastsql import as_matrix, fetch_matrix
from campaign.services.results.ledger import bounds, index_of
from campaign.services.setup.framework_cache import FrameworkInfo
from scoring.aggregate import ZStats, zscore_apply, zscore_stats
from scoring.aggregate import aggregate as engine_aggregate
from scoring.vector import clamp_round, quantise


class Sources(dict):
    """Normalised judging: row -> ``{"marks": hash of the entry's raw marks}`` (what a result row
    stores); ``fingerprint`` hashes every mark (the inputs digest uses it), ``stats`` is the run's
    normalisation and :meth:`aggregates` gives one row's aggregates (overridden entries)."""

    fingerprint: bytes = b""
    stats: ZStats | None = None
    codes: tuple = ()
    agg: np.ndarray | None = None
    n: np.ndarray | None = None

    def aggregates(self, row: int) -> dict[str, float] | None:
        """{indicator code: judges' aggregate} of a unit row, None if nobody judged it."""
        if self.agg is None or self.n is None:
            return None
        cols = np.nonzero(self.n[row])[0].tolist()
        return {self.codes[j]: float(self.agg[row, j]) for j in cols} or None


def aggregates_of(sources: dict, row: int) -> dict[str, float] | None:
    """{code: normalised aggregate} of a unit row under normalised judging, else None."""
    return sources.aggregates(row) if isinstance(sources, Sources) else None


_M1, _M2, _M3 = np.uint64(0x9E3779B97F4A7C15), np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)


def _mark_hashes(jid: np.ndarray, cols: np.ndarray, raw: np.ndarray) -> np.ndarray:
    """One 64-bit hash per mark (judge, indicator column, raw points), mixed like splitmix64."""
    with np.errstate(over="ignore"):
        h = (np.asarray(jid, dtype=np.int64).view(np.uint64) * _M1) ^ (np.asarray(cols, dtype=np.int64).view(np.uint64) * _M2)
        h = h ^ (np.ascontiguousarray(raw, dtype=float).view(np.uint64) * _M3)
        h ^= h >> np.uint64(30)
        h *= _M2
        h ^= h >> np.uint64(27)
        h *= _M3
        h ^= h >> np.uint64(31)
    return h


def marks_hash(jid: np.ndarray, cols: np.ndarray, raw: np.ndarray) -> str:
    """An entry's marks as 16 hex digits (order-free: the wrapping sum of the marks' hashes)."""
    with np.errstate(over="ignore"):
        return f"{int(np.add.reduce(_mark_hashes(jid, cols, raw), dtype=np.uint64)) if len(raw) else 0:016x}"


@dataclass
class Judged:
    """Units × indicators: judges' aggregate, lowest and highest mark (NaN where nobody judged), count."""

    agg: np.ndarray
    low: np.ndarray
    high: np.ndarray
    n: np.ndarray
    sources: dict = field(default_factory=dict)  # normalised: row -> {code: detail} for explanations


def submitted(campaign_id: int):
    """Submitted assignments of the campaign's entries (aid, eid, jid) as a subquery."""
    return (sa.select(Assignment.id.label("aid"), Assignment.entry_id.label("eid"), Assignment.judge_id.label("jid"))
            .join(Entry, Entry.id == Assignment.entry_id)
            .where(Entry.campaign_id == campaign_id, Assignment.status == "submitted")
            .subquery())


def read(campaign_id: int, info: FrameworkInfo, settings: dict, n: int, rows_for) -> Judged:
    """Every submitted score of the campaign's participants, aggregated per (unit row, indicator)."""
    nind = len(info.compiled.codes)
    out = Judged(np.full((n, nind), np.nan), np.full((n, nind), np.nan), np.full((n, nind), np.nan),
                 np.zeros((n, nind)))
    sub = submitted(campaign_id)
    # Two numbers per mark (600,000 at 10,000 units): (assignment, indicator) packed as
    # assignment × k + indicator — exact in a float while below 2⁵³ (PACK_LIMIT) — and the points;
    # each assignment's entry and judge come from a small second read. Ids too large to pack
    # (never seen in practice) are read as three numbers instead.
    ind_ids = np.array(info.ind_ids, dtype=np.int64)
    k = int(ind_ids.max()) + 1 if len(ind_ids) else 1
    who = fetch_matrix(sa.select(sub.c.aid, sub.c.eid, sub.c.jid), 3).astype(np.int64)
    if not len(who):
        return out
    # PostgreSQL: the marks as one binary string (fetch_matrix), 6,000,000 at 100,000 units (at most
    # one per assignment and indicator); a semi-join (IN) probes the 300,000 assignments once per
    # mark where the planner joined the marks to assignments, then to entries (~1.4 s less).
    most = len(who) * len(ind_ids)
    if (int(who[:, 0].max()) + 1) * k < PACK_LIMIT:
        a = fetch_matrix(sa.select(sa.cast(JudgeScore.assignment_id, sa.BigInteger) * k + JudgeScore.indicator_id,
                                   JudgeScore.points)
                         .where(JudgeScore.assignment_id.in_(sa.select(sub.c.aid)),
                                JudgeScore.indicator_id < k), 2,  # (an id ≥ k would alias another assignment's)
                         max_rows=most, plain=_fetch_matrix)
        packed = a[:, 0].astype(np.int64)
        aid, ind, pts_col = packed // k, packed % k, a[:, 1]
        del packed
    else:
        a = fetch_matrix(sa.select(JudgeScore.assignment_id, JudgeScore.indicator_id, JudgeScore.points)
                         .where(JudgeScore.assignment_id.in_(sa.select(sub.c.aid))), 3, max_rows=most, plain=_fetch_matrix)
        aid, ind, pts_col = a[:, 0].astype(np.int64), a[:, 1].astype(np.int64), a[:, 2]
    if not len(a):
        return out
    # Per mark: one search among the assignments; their unit rows are looked up once per assignment
    # and the indicator column from a table over ids 0..k-1 (three searches over 6,000,000 marks were ~1 s).
    at = index_of(who[:, 0], aid)
    rows = np.where(at >= 0, rows_for(who[:, 1])[at], -1)
    if len(ind) and k <= 1 << 22 and int(ind.min()) >= 0 and int(ind.max()) < k:  # (a table of ≤ 32 MB)
        col_of_id = np.full(k, -1, dtype=np.int64)
        col_of_id[ind_ids] = np.arange(len(ind_ids))
        cols = col_of_id[ind]
    else:
        cols = index_of(ind_ids, ind)
    keep = (rows >= 0) & (cols >= 0) & ~np.isnan(pts_col)
    if keep.all():  # the usual case: no four filtered copies of every mark (~0.7 s at 100,000 units)
        jid, pts = who[at, 2], np.ascontiguousarray(pts_col)
    else:
        rows, cols, jid, pts = rows[keep], cols[keep], who[at[keep], 2], pts_col[keep]
    del a, aid, ind, pts_col, at, keep  # ~5 arrays of 6,000,000 at 100,000 units: not held through the sort (peak RSS)
    if not len(pts):  # every mark left out (points missing, indicator outside this version)
        return out
    normalise = bool(settings.get("normalise"))
    raw = pts.copy() if normalise else pts  # (z-scores replace pts in place)
    stats = None
    if normalise:
        # Penalty points are deductions (≤ 0): z-scores are for the judges' marks only, so
        # penalties keep their raw value (as the council page does).
        z = _zscored(info)[cols]
        mp = np.asarray(info.compiled.max_points, dtype=float)[cols[z]]
        stats = zscore_stats(jid[z], pts[z], mp)
        pts[z] = zscore_apply(stats, jid[z], pts[z], mp)
    key = rows * nind + cols
    method = settings.get("aggregation", "mean")
    # Marks grouped by (unit row, indicator). Only the median needs each group's marks in order;
    # otherwise a stable sort by the group alone (the marks arrive in runs by assignment: ~8×
    # faster than sorting by points too, 1.6 s at 100,000 units) and the lowest and highest per group.
    order = np.lexsort((pts, key)) if method == "median" else np.argsort(key, kind="stable")
    ks, ps = key[order], pts[order]
    starts = np.flatnonzero(np.r_[True, ks[1:] != ks[:-1]])
    counts = np.diff(np.r_[starts, len(ks)])
    if method == "median":
        lo, hi = ps[starts], ps[starts + counts - 1]
    else:
        lo, hi = np.minimum.reduceat(ps, starts), np.maximum.reduceat(ps, starts)
    trim_min = int(settings.get("trim_min_judges", 3) or 3)
    val = _aggregate(ps, starts, counts, lo, hi, method, trim_min)
    gi, gj = ks[starts] // nind, ks[starts] % nind
    out.agg[gi, gj], out.low[gi, gj], out.high[gi, gj], out.n[gi, gj] = val, lo, hi, counts
    if normalise:
        out.sources = _sources(info, stats, out, key, order, jid, raw, cols, starts, gi)
    return out


PACK_LIMIT = 2 ** 53  # integers below it are exact in a float64


def _fetch_matrix(stmt, ncols: int, chunk: int = 100_000) -> np.ndarray:
    """A numeric select as a float matrix, converted ``chunk`` rows at a time: never a list of
    millions of tuples (6,000,000 marks at 100,000 units were ~0.7 GB of Python objects)."""
    conn = db.session.connection()
    sql = str(stmt.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    cur = conn.connection.dbapi_connection.cursor()
    parts = []
    try:
        cur.execute(sql)
        while rows := cur.fetchmany(chunk):
            parts.append(as_matrix(rows, ncols))
    finally:
        cur.close()
    return np.concatenate(parts) if parts else np.zeros((0, ncols))


def _zscored(info: FrameworkInfo) -> np.ndarray:
    """Per indicator column: are its marks z-scored (every kind but penalties)."""
    return ~np.array([r.kind == "penalty" for r in info.compiled.rules], dtype=bool)


def _aggregate(ps: np.ndarray, starts: np.ndarray, counts: np.ndarray, lo: np.ndarray, hi: np.ndarray,
               method: str, trim_min: int) -> np.ndarray:
    """Per group of marks (in order within the group for the median; ``lo``/``hi`` its lowest and
    highest): :func:`scoring.aggregate.aggregate`, vectorised."""
    if method == "median":
        mid = starts + counts // 2
        return quantise(np.where(counts % 2 == 1, ps[mid], (ps[mid - 1] + ps[mid]) / 2))
    sums = np.add.reduceat(ps, starts)
    if method == "trimmed_mean":
        trim = counts >= max(trim_min, 3)
        val = np.where(trim, (sums - lo - hi) / np.where(trim, counts - 2, 1), sums / counts)
    else:
        val = sums / counts
    # aggregate() sums exactly (fsum); a different summation order can only change the result
    # when the mean sits within rounding error of a half-step of the 1e-9 grid: redo those.
    q = val * 1e9
    near = np.flatnonzero(np.abs(q - np.floor(q) - 0.5) < 1e-3)
    val = quantise(val)
    for g in near.tolist():
        val[g] = engine_aggregate(ps[starts[g]:starts[g] + counts[g]].tolist(), method, trim_min)
    return val


def _sources(info: FrameworkInfo, stats: ZStats | None, out: Judged, key: np.ndarray, order: np.ndarray,
             jid: np.ndarray, raw: np.ndarray, cols: np.ndarray, starts: np.ndarray, gi: np.ndarray) -> Sources:
    """What normalised results keep of the marks: each row's marks hash, every mark's fingerprint,
    the statistics and the aggregates (marks grouped by ``key`` in ``order``, groups at ``starts``)."""
    src = Sources()
    src.stats, src.codes, src.agg, src.n = stats, tuple(info.compiled.codes), out.agg, out.n
    canon = np.lexsort((jid, key))  # one mark per (entry, indicator, judge): a canonical order
    src.fingerprint = hashlib.sha256(b"".join(np.ascontiguousarray(x).tobytes() for x in (
        key[canon], jid[canon], raw[canon]))).digest()
    h = _mark_hashes(jid[order], cols[order], raw[order])
    first = np.flatnonzero(np.r_[True, gi[1:] != gi[:-1]])  # groups are sorted by row
    with np.errstate(over="ignore"):
        sums = np.add.reduceat(h, starts[first], dtype=np.uint64)
    for row, hv in zip(gi[first].tolist(), sums.tolist(), strict=True):
        src[row] = {"marks": f"{hv:016x}"}
    return src


def entry_detail(info: FrameworkInfo, settings: dict, stats: ZStats, marks: list[tuple[int, int, float]]
                 ) -> tuple[dict, str, bool]:
    """One entry's normalised judges' detail, as the recompute computed it for the explanation:
    ``({code: {"agg", "points", "n", "judges": [[judge, normalised points], …]}}, marks hash, exact)``
    from its submitted marks ``(indicator id, judge id, points)`` and the run's statistics.
    ``exact`` is False when a judge is not in the statistics (marked after the run)."""
    nind = len(info.compiled.codes)
    kept = [(info.col_of.get(iid), jid, float(p)) for iid, jid, p in marks if p is not None]
    kept = [(j, jid, p) for j, jid, p in kept if j is not None and j < nind and not np.isnan(p)]
    if not kept:
        return {}, marks_hash(np.zeros(0), np.zeros(0), np.zeros(0)), True
    cols = np.array([k[0] for k in kept], dtype=np.int64)
    jid = np.array([k[1] for k in kept], dtype=np.int64)
    raw = np.array([k[2] for k in kept], dtype=float)
    pts = raw.copy()
    z = _zscored(info)[cols]
    known = np.isin(jid, stats.judges)
    z_ok = z & known
    pts[z_ok] = zscore_apply(stats, jid[z_ok], raw[z_ok], np.asarray(info.compiled.max_points, dtype=float)[cols[z_ok]])
    method = settings.get("aggregation", "mean")
    trim_min = int(settings.get("trim_min_judges", 3) or 3)
    lo_b, hi_b = bounds(info)
    codes = info.compiled.codes
    by_col: dict[int, list[tuple[int, float]]] = {}
    for j, judge, p in zip(cols.tolist(), jid.tolist(), pts.tolist(), strict=True):
        by_col.setdefault(j, []).append((judge, p))
    detail = {}
    for j in sorted(by_col):
        lst = sorted(by_col[j], key=lambda x: f"{x[0]},")
        agg = engine_aggregate([p for _jid, p in lst], method, trim_min)
        detail[codes[j]] = {"agg": agg, "points": float(clamp_round(np.array([agg]), lo_b[j:j + 1], hi_b[j:j + 1])[0]),
                            "n": len(lst), "judges": [[str(judge), p] for judge, p in lst]}
    return detail, marks_hash(jid, cols, raw), bool(known[z].all())
