"""Judges' submitted scores per (entry, indicator), vectorised: aggregate, lowest, highest, count.

Used by the raw reader for median aggregation, and for normalised judging by every recompute:
a z-score depends on its judge's marks across ALL entries, so one changed score moves every
entry that judge marked and the ledger cannot hold normalised points. Under normalisation the
ledger holds everything else (rule points, :func:`.ledger.refresh_entries`) and this part is
added when the inputs are read (:func:`.ledger.combine`), the same way on both paths.

One read of the submitted scores as plain tuples, then numpy: the z-scores with
:func:`scoring.aggregate.zscore_normalise_arrays` (bit for bit :func:`zscore_normalise`), the
aggregate per (entry, indicator) as :func:`scoring.aggregate.aggregate` gives it (sums on the
1e-9 grid; the rare group whose mean lies within rounding of a half-grid tie is recomputed by
``aggregate`` itself).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import sqlalchemy as sa

from campaign.models import Assignment, Entry, JudgeScore
from campaign.services.results.fastsql import as_matrix, fetch
from campaign.services.results.ledger import bounds, index_of
from campaign.services.setup.framework_cache import FrameworkInfo
from scoring.aggregate import aggregate as engine_aggregate
from scoring.aggregate import zscore_normalise_arrays
from scoring.vector import clamp_round, quantise


class Sources(dict):
    """Normalised judges' detail per unit row and code; ``fingerprint`` hashes what it is built
    from (the inputs digest uses it instead of serialising ~20 MB of detail at 10,000 units)."""

    fingerprint: bytes = b""


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
    data = fetch(sa.select(sub.c.eid, JudgeScore.indicator_id, sub.c.jid, JudgeScore.points)
                 .join(sub, sub.c.aid == JudgeScore.assignment_id))
    if not data:
        return out
    a = as_matrix(data, 4)
    rows = rows_for(a[:, 0].astype(np.int64))
    cols = index_of(np.array(info.ind_ids, dtype=np.int64), a[:, 1].astype(np.int64))
    keep = (rows >= 0) & (cols >= 0) & ~np.isnan(a[:, 3])
    rows, cols, jid, pts = rows[keep], cols[keep], a[keep, 2].astype(np.int64), a[keep, 3].copy()
    normalise = bool(settings.get("normalise"))
    if normalise:
        # Penalty points are deductions (≤ 0): z-scores are for the judges' marks only, so
        # penalties keep their raw value (as the council page does).
        z = ~np.array([r.kind == "penalty" for r in info.compiled.rules], dtype=bool)[cols]
        pts[z] = zscore_normalise_arrays(jid[z], pts[z], np.asarray(info.compiled.max_points, dtype=float)[cols[z]])
    key = rows * nind + cols
    order = np.lexsort((pts, key))
    ks, ps = key[order], pts[order]
    starts = np.flatnonzero(np.r_[True, ks[1:] != ks[:-1]])
    counts = np.diff(np.r_[starts, len(ks)])
    lo, hi = ps[starts], ps[starts + counts - 1]
    method = settings.get("aggregation", "mean")
    trim_min = int(settings.get("trim_min_judges", 3) or 3)
    val = _aggregate(ps, starts, counts, lo, hi, method, trim_min)
    gi, gj = ks[starts] // nind, ks[starts] % nind
    out.agg[gi, gj], out.low[gi, gj], out.high[gi, gj], out.n[gi, gj] = val, lo, hi, counts
    if normalise:
        out.sources = _sources(info, key, jid, pts, gi, gj, counts, val)
    return out


def _aggregate(ps: np.ndarray, starts: np.ndarray, counts: np.ndarray, lo: np.ndarray, hi: np.ndarray,
               method: str, trim_min: int) -> np.ndarray:
    """Per group of sorted marks: :func:`scoring.aggregate.aggregate`, vectorised."""
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


def _sources(info: FrameworkInfo, key: np.ndarray, jid: np.ndarray, pts: np.ndarray, gi: np.ndarray,
             gj: np.ndarray, counts: np.ndarray, val: np.ndarray) -> dict:
    """Normalised judges' detail per unit row and indicator code (what explanations show)."""
    judges = np.unique(jid)
    # the order of sorted([(judge id, points)], key=str): one judge per entry, so by "<id>,"
    rank = {j: r for r, j in enumerate(sorted(judges.tolist(), key=lambda j: f"{j},"))}
    jrank = np.array([rank[j] for j in judges.tolist()], dtype=np.int64)[np.searchsorted(judges, jid)]
    order = np.lexsort((jrank, key))
    name_of = {j: str(j) for j in judges.tolist()}
    pairs = [[name_of[j], p] for j, p in zip(jid[order].tolist(), pts[order].tolist(), strict=True)]
    lo_b, hi_b = bounds(info)
    eff = clamp_round(val, lo_b[gj], hi_b[gj]).tolist()
    codes = info.compiled.codes
    out = Sources()
    out.fingerprint = hashlib.sha256(b"".join(np.ascontiguousarray(x).tobytes() for x in (
        key[order], jid[order], pts[order], val))).digest()
    ends = np.cumsum(counts).tolist()
    row: dict = {}
    last = -1
    for i, j, c, agg, p, end in zip(gi.tolist(), gj.tolist(), counts.tolist(), val.tolist(), eff, ends, strict=True):
        if i != last:
            row = out[i] = {}
            last = i
        row[codes[j]] = {"agg": agg, "points": p, "n": c, "judges": pairs[end - c:end]}
    return out
