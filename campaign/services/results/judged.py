"""Judges' submitted scores per (entry, indicator), vectorised: aggregate, lowest, highest, count.

Used by the raw reader for every aggregation, and for normalised judging by every recompute:
a z-score depends on its judge's marks across ALL entries, so one changed score moves every
entry that judge marked and the ledger cannot hold normalised points. Under normalisation the
ledger holds everything else (rule points, :func:`.ledger.refresh_entries`) and this part is
added when the inputs are read (:func:`.ledger.combine`), the same way on both paths — from the
worker's copy of the marks (:func:`.ledger_cache.marks`, brought up to date with its ledger copy)
where it has one, else from one read of the database (:func:`fetch_marks`).

The submitted scores as arrays (:class:`Marks`; two numbers per mark from the database), then
numpy: the z-scores with :func:`scoring.aggregate.zscore_stats` /
:func:`~scoring.aggregate.zscore_apply` (bit for bit :func:`zscore_normalise`), the aggregate per
(entry, indicator) as :func:`scoring.aggregate.aggregate` gives it (sums on the 1e-9 grid; the
rare group whose mean lies within rounding of a half-grid tie is recomputed by ``aggregate`` itself).

Under normalisation the result rows do not store the judges' normalised detail (it was ~75% of
the rows' bytes): the run stores the normalisation statistics once (``ScoreRun.normalisation``,
:class:`scoring.aggregate.ZStats`) and each row a hash of its entry's raw marks; an explanation
rebuilds its entry's detail exactly from those marks and statistics (:func:`entry_detail`).
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import numpy as np
import sqlalchemy as sa

from campaign.extensions import db
from campaign.models import Assignment, Entry, JudgeScore
from campaign.services.results.fastsql import among, as_matrix, fetch_matrix
from campaign.services.results.ledger import bounds, index_of
from campaign.services.setup.framework_cache import FrameworkInfo
from scoring.aggregate import ZStats, zscore_apply, zscore_stats
from scoring.aggregate import aggregate as engine_aggregate
from scoring.vector import clamp_round, quantise


class Sources(Mapping[int, dict]):
    """Normalised judging: row -> ``{"marks": hash of the entry's raw marks}`` (what a result row
    stores), made when asked for (a recompute builds a few rows of 100,000) from ``hashes`` (per unit
    row; ``present``: the rows with marks); ``fingerprint`` hashes every mark (the inputs digest uses
    it), ``stats`` is the run's normalisation and :meth:`aggregates` gives one row's aggregates
    (overridden entries)."""

    def __init__(self, hashes: np.ndarray, present: np.ndarray) -> None:
        self.hashes, self.present = hashes, present
        self.fingerprint: bytes = b""
        self.stats: ZStats | None = None
        self.codes: tuple = ()
        self.agg: np.ndarray | None = None
        self.n: np.ndarray | None = None
        self.marks: Marks | None = None  # the marks as read from the database (for a worker's copy)

    def __getitem__(self, row: int) -> dict:
        if not (0 <= row < len(self.present) and self.present[row]):
            raise KeyError(row)
        return {"marks": f"{int(self.hashes[row]):016x}"}

    def __iter__(self) -> Iterator[int]:
        return iter(np.flatnonzero(self.present).tolist())

    def __len__(self) -> int:
        return int(self.present.sum())

    def aggregates(self, row: int) -> dict[str, float] | None:
        """{indicator code: judges' aggregate} of a unit row, None if nobody judged it."""
        if self.agg is None or self.n is None:
            return None
        cols = np.nonzero(self.n[row])[0].tolist()
        return {self.codes[j]: float(self.agg[row, j]) for j in cols} or None


def aggregates_of(sources: Mapping, row: int) -> dict[str, float] | None:
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
    sources: Mapping = field(default_factory=dict)  # normalised: row -> {marks hash} (Sources)


def submitted(campaign_id: int, entry_ids: list[int] | None = None):
    """Submitted assignments of the campaign's entries (or of ``entry_ids`` among them) as a
    subquery of (aid, eid, jid)."""
    stmt = (sa.select(Assignment.id.label("aid"), Assignment.entry_id.label("eid"), Assignment.judge_id.label("jid"))
            .join(Entry, Entry.id == Assignment.entry_id)
            .where(Entry.campaign_id == campaign_id, Assignment.status == "submitted"))
    if entry_ids is not None:
        stmt = stmt.where(Assignment.entry_id.in_(entry_ids))
    return stmt.subquery()


@dataclass
class Marks:
    """Submitted marks as arrays: per submitted assignment its entry and judge; per mark its
    assignment (a position in those), indicator id and points. What :func:`read` aggregates, read
    from the database (:func:`fetch_marks`) or kept by a worker process (:mod:`.ledger_cache`)."""

    entry: np.ndarray  # per assignment (int64)
    judge: np.ndarray  # per assignment (int64)
    assignment: np.ndarray  # per mark: position among the assignments (int32)
    indicator: np.ndarray  # per mark (int32)
    points: np.ndarray  # per mark (float64)

    @property
    def nbytes(self) -> int:
        return int(sum(a.nbytes for a in (self.entry, self.judge, self.assignment, self.indicator, self.points)))

    def replaced(self, entries: np.ndarray, new: Marks) -> Marks:
        """These marks with every assignment of ``entries`` left out and ``new`` (their current marks) added."""
        kept = ~np.isin(self.entry, entries)
        position = np.cumsum(kept) - 1  # an old assignment's position among the kept ones
        mark_kept = kept[self.assignment]
        base = int(kept.sum())
        return Marks(np.concatenate([self.entry[kept], new.entry]), np.concatenate([self.judge[kept], new.judge]),
                     np.concatenate([position[self.assignment[mark_kept]], new.assignment + base]).astype(np.int32),
                     np.concatenate([self.indicator[mark_kept], new.indicator]),
                     np.concatenate([self.points[mark_kept], new.points]))


def _no_marks() -> Marks:
    empty = np.zeros(0, dtype=np.int64)
    return Marks(empty, empty, np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int32), np.zeros(0))


def fetch_marks(campaign_id: int, info: FrameworkInfo, entry_ids: list[int] | None = None) -> Marks:
    """The submitted marks of the campaign's entries (or of ``entry_ids`` among them) on this
    framework's indicator ids, from the database: two numbers per mark."""
    sub = submitted(campaign_id, entry_ids)
    # (assignment, indicator) packed as assignment × k + indicator — exact in a float while below
    # 2⁵³ (PACK_LIMIT) — and the points (600,000 marks at 10,000 units); each assignment's entry
    # and judge come from a small second read. Ids too large to pack (never seen in practice) are
    # read as three numbers instead.
    ind_ids = np.array(info.ind_ids, dtype=np.int64)
    k = int(ind_ids.max()) + 1 if len(ind_ids) else 1
    who = fetch_matrix(sa.select(sub.c.aid, sub.c.eid, sub.c.jid), 3).astype(np.int64)
    if not len(who):
        return _no_marks()
    if entry_ids is None and db.session.get_bind().dialect.name == "postgresql":
        _roomy_work_mem(len(who))
    # PostgreSQL: the marks as one binary string (fetch_matrix), 6,000,000 at 100,000 units (at most
    # one per assignment and indicator); a semi-join (IN) probes the 300,000 assignments once per
    # mark where the planner joined the marks to assignments, then to entries (~1.4 s less).
    # A whole campaign's assignments usually fill a range of ids: on PostgreSQL the marks are kept to
    # that range (marks of other assignments in it are dropped below, by index_of).
    ours, keys = among(JudgeScore.assignment_id, who[:, 0], sa.select(sub.c.aid)) if entry_ids is None else (
        JudgeScore.assignment_id.in_(sa.select(sub.c.aid)), len(who))
    most = keys * len(ind_ids)
    if (int(who[:, 0].max()) + 1) * k < PACK_LIMIT:
        a = fetch_matrix(sa.select(sa.cast(JudgeScore.assignment_id, sa.BigInteger) * k + JudgeScore.indicator_id,
                                   JudgeScore.points)
                         .where(ours, JudgeScore.indicator_id < k), 2,  # (an id ≥ k would alias another assignment's)
                         max_rows=most, plain=_fetch_matrix)
        packed = a[:, 0].astype(np.int64)
        aid, ind, pts = packed // k, packed % k, a[:, 1]
        del packed
    else:
        a = fetch_matrix(sa.select(JudgeScore.assignment_id, JudgeScore.indicator_id, JudgeScore.points)
                         .where(ours, JudgeScore.indicator_id < k), 3, max_rows=most, plain=_fetch_matrix)
        aid, ind, pts = a[:, 0].astype(np.int64), a[:, 1].astype(np.int64), a[:, 2]
    del a
    at = index_of(who[:, 0], aid)  # each mark's assignment: one search (a table over the ids)
    ok = at >= 0
    if not ok.all():
        at, ind, pts = at[ok], ind[ok], pts[ok]
    return Marks(np.ascontiguousarray(who[:, 1]), np.ascontiguousarray(who[:, 2]), at.astype(np.int32),
                 ind.astype(np.int32), np.ascontiguousarray(pts))


def read(campaign_id: int, info: FrameworkInfo, settings: dict, n: int, rows_for, marks: Marks | None = None, *,
         fresh: bool = False) -> Judged:
    """Every submitted score of the campaign's participants, aggregated per (unit row, indicator);
    ``marks``: those scores as a worker's copy holds them, or (``fresh``) as :func:`fetch_marks`
    just read them (else read here)."""
    nind = len(info.compiled.codes)
    out = Judged(np.full((n, nind), np.nan), np.full((n, nind), np.nan), np.full((n, nind), np.nan),
                 np.zeros((n, nind)))
    normalise = bool(settings.get("normalise"))
    m = marks if marks is not None else fetch_marks(campaign_id, info)
    if not len(m.points):
        return out
    # Per mark: its unit row, looked up once per assignment, and its indicator column from a table
    # over ids 0..k-1 (three searches over 6,000,000 marks were ~1 s).
    rows = rows_for(m.entry)[m.assignment]
    ind_ids = np.array(info.ind_ids, dtype=np.int64)
    ind = m.indicator
    k = int(ind_ids.max()) + 1 if len(ind_ids) else 1
    if k <= 1 << 22 and int(ind.min()) >= 0 and int(ind.max()) < k:  # (a table of ≤ 32 MB)
        col_of_id = np.full(k, -1, dtype=np.int64)
        col_of_id[ind_ids] = np.arange(len(ind_ids))
        cols = col_of_id[ind]
    else:
        cols = index_of(ind_ids, ind.astype(np.int64))
    keep = (rows >= 0) & (cols >= 0) & ~np.isnan(m.points)
    every = bool(keep.all())
    if every:  # the usual case: no four filtered copies of every mark (~0.7 s at 100,000 units)
        jid, raw = m.judge[m.assignment], m.points
    else:
        rows, cols, jid, raw = rows[keep], cols[keep], m.judge[m.assignment[keep]], m.points[keep]
    # Z-scores: the marks read from the database go on to the worker's copy (writes, after the
    # commit); otherwise they are not held through the sort (peak RSS).
    read_marks = m if normalise and (marks is None or fresh) and every else None
    del keep, m, ind
    if not len(raw):  # every mark left out (points missing, indicator outside this version)
        return out
    pts = raw.copy() if normalise else raw  # (z-scores replace pts in place; raw stays as read)
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
        out.sources = _sources(info, stats, out, rows, jid, raw, cols)
        out.sources.marks = read_marks
    return out


def _roomy_work_mem(assignments: int) -> None:
    """Room in memory for the marks' semi-join with the submitted assignments (with their hash
    table's overhead), for this transaction only: at the 4 MB default it runs in batches from
    100,000 units (300,000 assignments). Capped at 256 MB (a hash node may take
    hash_mem_multiplier × this)."""
    mb = min(256, max(16, 4 * (assignments // 3) // 1024 + 1))
    db.session.execute(sa.text(f"SET LOCAL work_mem = '{mb}MB'"))


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


def _sources(info: FrameworkInfo, stats: ZStats | None, out: Judged, rows: np.ndarray,
             jid: np.ndarray, raw: np.ndarray, cols: np.ndarray) -> Sources:
    """What normalised results keep of the marks: each row's marks hash, every mark's fingerprint,
    the statistics and the aggregates (marks in the order read, ``rows`` their unit rows).

    A row's hash is the wrapping sum of its marks' hashes, so it is summed in the order read
    (``np.add.at``): no gather of three 6,000,000-mark arrays into the groups' order (~0.6 s)."""
    h = _mark_hashes(jid, cols, raw)
    hashes = np.zeros(out.agg.shape[0], dtype=np.uint64)
    np.add.at(hashes, rows, h)  # (uint64 additions wrap: the same sums in any order)
    present = np.bincount(rows, minlength=out.agg.shape[0]) > 0
    marked = np.flatnonzero(present)
    # every mark, for the inputs' digest: each row's marks hash with its row (no sort of every mark)
    fingerprint = hashlib.sha256(marked.astype(np.int64).tobytes() + hashes[marked].tobytes()).digest()
    src = Sources(hashes, present)
    src.fingerprint = fingerprint
    src.stats, src.codes, src.agg, src.n = stats, tuple(info.compiled.codes), out.agg, out.n
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
