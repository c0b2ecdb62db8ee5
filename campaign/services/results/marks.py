"""Judges' submitted marks as arrays, and what normalised judging derives from their layout.

Under z-scores every recompute aggregates every mark (6,000,000 at 100,000 units): a changed mark
moves its judge's mean and spread, hence every mark of that judge. What a correction does not
move is the layout — which unit row, indicator column and judge each mark belongs to — nor any
other row's marks. So a worker's copy of the marks keeps, with them, a :class:`Layout`: the marks'
order by (row, column), the groups, each judge's value counts and each row's marks hash. A
correction (the same marks, other points: :meth:`Marks.replaced`) updates the counts and hashes by
the marks that changed; the recompute then gathers the points, applies the z-scores and sums the
groups (:meth:`Layout.normalised`), with no sort and no count over every mark. Anything else (a
mark added or withdrawn, an assignment, the participants, the framework) builds the layout again.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np

from scoring.aggregate import JudgeValues, ZStats, judge_values, zscore_apply, zscore_stats_of

_M1, _M2, _M3 = np.uint64(0x9E3779B97F4A7C15), np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)


def mark_hashes(jid: np.ndarray, cols: np.ndarray, raw: np.ndarray) -> np.ndarray:
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
        return f"{int(np.add.reduce(mark_hashes(jid, cols, raw), dtype=np.uint64)) if len(raw) else 0:016x}"


def row_hashes(rows: np.ndarray, hashes: np.ndarray, n: int) -> np.ndarray:
    """Each unit row's marks hash: the wrapping sum of its marks' ``hashes``, summed in the order
    given (``np.add.at``: no gather of every mark into the rows' order; uint64 sums wrap, so any
    order gives the same sums)."""
    out = np.zeros(n, dtype=np.uint64)
    np.add.at(out, rows, hashes)
    return out


def fingerprint(hashes: np.ndarray, present: np.ndarray) -> bytes:
    """Every mark, for the inputs' digest: each marked row with its marks hash."""
    marked = np.flatnonzero(present)
    return hashlib.sha256(marked.astype(np.int64).tobytes() + hashes[marked].tobytes()).digest()


@dataclass
class Columns:
    """What the layout needs of the framework: indicator id → column (a table over ids), and per
    column whether its marks are z-scored (every kind but penalties) and its maximum."""

    version_id: int
    col_of_id: np.ndarray
    zscored: np.ndarray
    max_points: np.ndarray


@dataclass
class Layout:
    """A normalised recompute's view of the marks that only their layout decides (see the module
    docstring), for one mapping of assignments to unit rows and one framework version."""

    columns: Columns
    rows_of: np.ndarray  # per assignment: its unit row
    order: np.ndarray  # the marks by (row, column); read order within a group
    z: np.ndarray | None  # in that order: is the mark z-scored (None: every mark is)
    judge_at: np.ndarray  # per z-scored mark in that order: its judge's position in ``values.keys``
    starts: np.ndarray  # each group's first mark in that order
    group_key: np.ndarray  # each group's row × columns + column
    values: JudgeValues  # the z-scored marks' judges' value counts
    hashes: np.ndarray  # per unit row: its marks hash
    present: np.ndarray  # per unit row: has marks
    _stats: ZStats | None = field(default=None, repr=False)

    @property
    def nbytes(self) -> int:
        arrays = (self.rows_of, self.order, self.judge_at, self.starts, self.group_key, self.hashes, self.present)
        return int(sum(a.nbytes for a in arrays) + (self.z.nbytes if self.z is not None else 0))

    def fits(self, version_id: int, rows_of: np.ndarray) -> bool:
        """Built on this framework version for these assignments' unit rows."""
        return self.columns.version_id == version_id and np.array_equal(self.rows_of, rows_of)

    @classmethod
    def build(cls, marks: Marks, columns: Columns, rows_of: np.ndarray, rows: np.ndarray, cols: np.ndarray,
              n: int) -> Layout:
        """From marks that all count (each on a unit row, an indicator of this version, with points);
        ``rows`` and ``cols``: each mark's unit row (``rows_of`` by assignment) and column."""
        nind = len(columns.zscored)
        key = rows.astype(np.int64) * nind + cols
        order = np.argsort(key, kind="stable")
        ks = key[order]
        starts = np.flatnonzero(np.r_[True, ks[1:] != ks[:-1]])
        group_key = ks[starts]
        del key, ks
        jid = marks.judge[marks.assignment]
        zm = columns.zscored[cols]
        every = bool(zm.all())
        values, inverse = judge_values(jid if every else jid[zm], marks.points if every else marks.points[zm],
                                       columns.max_points[cols if every else cols[zm]])
        if every:
            judge_at, z = inverse[order], None
        else:
            at = np.full(len(zm), -1, dtype=np.int64)
            at[zm] = inverse
            z = zm[order]
            judge_at = at[order][z]
        small = np.int32 if len(order) < 2 ** 31 else np.int64
        index = np.int32 if n * nind < 2 ** 31 else np.int64
        return cls(columns, rows_of, order.astype(small), z, judge_at.astype(np.int32), starts.astype(np.int64),
                   group_key.astype(index), values, row_hashes(rows, mark_hashes(jid, cols, marks.points), n),
                   np.bincount(rows, minlength=n) > 0)

    def stats(self) -> ZStats:
        if self._stats is None:
            self._stats = zscore_stats_of(self.values)
        return self._stats

    def normalised(self, points: np.ndarray) -> np.ndarray:
        """The marks' points in group order, z-scores applied (bit for bit the vector rule on every mark)."""
        ps = points[self.order]
        counts = np.diff(np.r_[self.starts, len(ps)])
        mp = np.repeat(self.columns.max_points[self.group_key % len(self.columns.zscored)], counts)
        if self.z is None:
            return zscore_apply(self.stats(), None, ps, mp, at=self.judge_at)
        ps[self.z] = zscore_apply(self.stats(), None, ps[self.z], mp[self.z], at=self.judge_at)
        return ps

    def corrected(self, marks: Marks, changed: np.ndarray, new_points: np.ndarray) -> Layout:
        """This layout after the marks at positions ``changed`` of ``marks`` took ``new_points``
        (their layout unchanged): their rows' hashes and their judges' value counts move."""
        a = marks.assignment[changed]
        rows, jid = self.rows_of[a], marks.judge[a]
        cols = self.columns.col_of_id[marks.indicator[changed]]
        old_points = marks.points[changed]
        hashes = self.hashes.copy()
        np.subtract.at(hashes, rows, mark_hashes(jid, cols, old_points))
        np.add.at(hashes, rows, mark_hashes(jid, cols, new_points))
        zm = self.columns.zscored[cols]
        values = self.values
        if zm.any():
            values = values.changed(np.searchsorted(values.keys, jid[zm]), old_points[zm], new_points[zm],
                                    self.columns.max_points[cols[zm]])
        return Layout(self.columns, self.rows_of, self.order, self.z, self.judge_at, self.starts, self.group_key,
                      values, hashes, self.present)

    def fingerprint(self) -> bytes:
        return fingerprint(self.hashes, self.present)


@dataclass
class Marks:
    """Submitted marks as arrays: per submitted assignment its entry and judge; per mark its
    assignment (a position in those), indicator id and points. What :func:`.judged.read`
    aggregates, read from the database (:func:`.judged.fetch_marks`) or kept by a worker process
    (:mod:`.ledger_cache`), with the :class:`Layout` a normalised recompute built from them."""

    entry: np.ndarray  # per assignment (int64)
    judge: np.ndarray  # per assignment (int64)
    assignment: np.ndarray  # per mark: position among the assignments (int32)
    indicator: np.ndarray  # per mark (int32)
    points: np.ndarray  # per mark (float64)
    layout: Layout | None = field(default=None, compare=False, repr=False)

    @property
    def nbytes(self) -> int:
        own = sum(a.nbytes for a in (self.entry, self.judge, self.assignment, self.indicator, self.points))
        return int(own + (self.layout.nbytes if self.layout is not None else 0))

    def replaced(self, entries: np.ndarray, new: Marks) -> Marks:
        """These marks with every assignment of ``entries`` left out and ``new`` (their current marks) added."""
        corrected = self._corrected(entries, new)
        if corrected is not None:
            return corrected
        kept = ~np.isin(self.entry, entries)
        position = np.cumsum(kept) - 1  # an old assignment's position among the kept ones
        mark_kept = kept[self.assignment]
        base = int(kept.sum())
        return Marks(np.concatenate([self.entry[kept], new.entry]), np.concatenate([self.judge[kept], new.judge]),
                     np.concatenate([position[self.assignment[mark_kept]], new.assignment + base]).astype(np.int32),
                     np.concatenate([self.indicator[mark_kept], new.indicator]),
                     np.concatenate([self.points[mark_kept], new.points]))

    def _corrected(self, entries: np.ndarray, new: Marks) -> Marks | None:
        """Where ``new`` holds exactly the marks (entry, judge, indicator) these entries hold here,
        all with points: the same layout with the new points (and the layout, if any, updated by the
        marks whose points changed). Else None."""
        mine = np.flatnonzero(np.isin(self.entry, entries)[self.assignment])
        if not len(mine) or len(mine) != len(new.points):
            return None
        old_order = _by_mark(self.entry, self.judge, self.assignment[mine], self.indicator[mine])
        new_order = _by_mark(new.entry, new.judge, new.assignment, new.indicator)
        if old_order is None or new_order is None or not all(
                np.array_equal(o, n) for o, n in zip(old_order[1], new_order[1], strict=True)):
            return None
        at, new_points = mine[old_order[0]], new.points[new_order[0]]
        if np.isnan(new_points).any() or np.isnan(self.points[at]).any():
            return None
        moved = self.points[at] != new_points
        points = self.points.copy()
        points[at] = new_points
        layout = self.layout
        if layout is not None and moved.any():
            layout = layout.corrected(self, at[moved], new_points[moved])
        return Marks(self.entry, self.judge, self.assignment, self.indicator, points, layout)


def _by_mark(entry: np.ndarray, judge: np.ndarray, assignment: np.ndarray, indicator: np.ndarray
             ) -> tuple[np.ndarray, tuple[np.ndarray, ...]] | None:
    """The marks' order by (entry, judge, indicator) and those keys in it; None if one repeats."""
    keys = (entry[assignment], judge[assignment], indicator.astype(np.int64))
    order = np.lexsort(keys[::-1])
    sorted_keys = tuple(k[order] for k in keys)
    same = np.ones(max(len(order) - 1, 0), dtype=bool)
    for k in sorted_keys:
        same &= k[1:] == k[:-1]
    return None if same.any() else (order, sorted_keys)


def no_marks() -> Marks:
    empty = np.zeros(0, dtype=np.int64)
    return Marks(empty, empty, np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int32), np.zeros(0))
