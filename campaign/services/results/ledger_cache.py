"""A process's copy of campaigns' ledgers in memory, brought up to date by reading only what changed.

Why: after one change, the recompute of a 100,000-unit campaign read the whole ledger again
(1,600,000 rows, ~0.9 s of ~2.5 s). Each change marks the entries whose ledger rows it rewrote
(``LedgerChange``, with the campaign's inputs version of that change, in the change's own
transaction: :func:`.ledger.refresh_entries`). A copy remembers the version it has read up to and
then reads only the rows of the entries marked with a later version.

Why no change is missed: versions are handed out in commit order — ``mark_stale`` updates the
campaign row, which serialises the changes of one campaign (PostgreSQL's row lock, SQLite's
single writer) — so a change that had not committed when a copy was read carries a later
version than the one the copy recorded (the campaign's version read *before* the ledger rows),
and is read the next time. A change read twice is harmless.

A process that rebuilds the ledger keeps what it wrote as its copy (:func:`remember`, after the
commit). A forced rebuild still reads the stored rows back to compare: it is the repair that
trusts nothing, a copy included.

A copy is dropped and the ledger read whole when the ledger was rewritten campaign-wide (a new
``Campaign.ledger_token``: rebuilds after settings or framework changes, forced recomputes), the
framework layout or the figures needed differ, the campaign's version went back (a restored
backup), or so many entries changed that one scan is cheaper. Copies are kept per process (each
Celery worker process its own: correct on any number of machines, since every copy checks the
database), at most ``LEDGER_COPY_MB`` of them (configuration; 0 turns copies off), the least recently
used dropped first. A 100,000-unit campaign's copy takes 25–64 MB (2–5 figures × 16 nodes).

Under normalised judging the ledger holds everything but the judges' marks, which every recompute
needs whole (a z-score depends on all of its judge's marks): the copy then also keeps the submitted
marks (:func:`marks`; 6,000,000 at 100,000 units, ~100 MB), brought up to date with the ledger rows
by reading the marks of the same changed entries — every change to a mark or an assignment refreshes
its entry's ledger rows, as the ledger's judged aggregates need without z-scores.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import sqlalchemy as sa
from flask import current_app

from campaign.extensions import db
from campaign.models import Campaign, EntryNodeScore, LedgerChange
from campaign.services.results import judged, ledger
from campaign.services.results.fastsql import fetch, fetch_matrix
from campaign.services.results.freshness import changes_pending
from campaign.services.results.ledger import Subtotals
from campaign.services.setup.framework_cache import FrameworkInfo

FULL_READ_SHARE = 0.1  # more changed entries than this share of the copy: read the ledger whole


@dataclass
class _Copy:
    token: int
    layout: tuple[int, ...]  # the ledger's columns (framework nodes holding indicators)
    figures: tuple[str, ...]
    version: int  # every change up to this campaign version is in the copy
    entries: np.ndarray  # sorted entry ids
    data: dict[str, np.ndarray]  # figure → entries × columns
    marks: judged.Marks | None = None  # the submitted marks (normalised judging; read when first asked)

    @property
    def nbytes(self) -> int:
        return int(self.entries.nbytes + sum(a.nbytes for a in self.data.values())
                   + (self.marks.nbytes if self.marks is not None else 0))


_copies: OrderedDict[int, _Copy] = OrderedDict()
_lock = threading.Lock()


def _budget() -> int:
    """Bytes of copies this process may keep (``LEDGER_COPY_MB``; 0: none)."""
    return int(current_app.config.get("LEDGER_COPY_MB", 256)) * 2 ** 20


def _layout(info: FrameworkInfo) -> tuple[int, ...]:
    return tuple(int(x) for x in info.leaf_parent_ids)


def clear() -> None:
    """Forget every copy (tests; a process that must not trust its memory)."""
    with _lock:
        _copies.clear()


def read(campaign_id: int, info: FrameworkInfo, n: int, rows_for: Callable[[np.ndarray], np.ndarray],
         figures: tuple[str, ...], *, version: int, token: int) -> Subtotals:
    """The campaign's ledger as :func:`.ledger.read` gives it, from this process's copy.

    ``version`` and ``token`` are the campaign's ``inputs_version`` and ``ledger_token`` as read
    at the start of the caller's read, before any ledger row.
    """
    if _budget() <= 0 or changes_pending():
        # Copies turned off; or this transaction changed inputs and has not committed
        # (freshness.mark_stale): its version may yet roll back and be handed out again, so it
        # must not enter a copy.
        return ledger.read(campaign_id, info, n, rows_for, figures)
    with _lock:
        copy = _copies.pop(campaign_id, None)
    copy = _brought_up_to_date(copy, campaign_id, info, figures, version, token)
    if db.session.scalar(sa.select(Campaign.ledger_token).where(Campaign.id == campaign_id)) != token:
        # Rebuilt while we read: the copy may mix two builds. Read the new one whole, keep nothing.
        return ledger.read(campaign_id, info, n, rows_for, figures)
    out = Subtotals.zeros(n, len(info.leaf_parents))
    r = rows_for(copy.entries)
    ok = r >= 0
    for name in figures:
        getattr(out, name)[r[ok]] = copy.data[name][ok]
    _keep(campaign_id, copy)
    return out


def marks(campaign_id: int, info: FrameworkInfo, *, version: int, token: int) -> judged.Marks | None:
    """The campaign's submitted marks from this process's copy, as of ``version`` — call right after
    :func:`read` with the same ``version`` and ``token``, which brought the copy up to date. None
    where there is no such copy (copies off, changes pending, a rebuild meanwhile): the caller
    reads the marks from the database."""
    if _budget() <= 0 or changes_pending():
        return None
    with _lock:
        copy = _copies.pop(campaign_id, None)
    if copy is None or copy.token != token or copy.version != version or copy.layout != _layout(info):
        if copy is not None:
            _keep(campaign_id, copy)
        return None
    got = copy.marks
    if got is None:
        got = judged.fetch_marks(campaign_id, info)
        _hold_marks(copy, got)
    _keep(campaign_id, copy)
    return got


def _hold_marks(copy: _Copy, marks: judged.Marks) -> None:
    """Keep the marks in the copy if both fit the budget (else the copy keeps its ledger rows only)."""
    if copy.nbytes + marks.nbytes <= _budget():
        copy.marks = marks


def remember(campaign_id: int, info: FrameworkInfo, entry_ids: list, sub: Subtotals, *, version: int,
             token: int, marks: judged.Marks | None = None) -> None:
    """The caller committed a transaction that made the ledger equal ``sub`` (a rebuild, whose
    version ``version`` no change had passed): keep it as this process's copy, so the next
    recompute after a change reads only that change's rows (and, under z-scores, keep the
    ``marks`` the rebuild read, as of the same version)."""
    if _budget() <= 0:
        return
    ent = ledger.entry_array(entry_ids)
    keep = np.flatnonzero(ent >= 0)
    keep = keep[np.argsort(ent[keep], kind="stable")]
    copy = _Copy(int(token), _layout(info), ledger.FIGURES, int(version), ent[keep],
                 {name: np.array(getattr(sub, name)[keep], dtype=float) for name in ledger.FIGURES})
    if marks is not None:
        _hold_marks(copy, marks)
    _keep(campaign_id, copy)


def _keep(campaign_id: int, copy: _Copy) -> None:
    """Keep ``copy`` as the campaign's, dropping the least recently used beyond the budget (a copy
    larger than the whole budget is not kept)."""
    budget = _budget()
    with _lock:
        _copies.pop(campaign_id, None)
        if copy.nbytes > budget:
            return
        _copies[campaign_id] = copy
        total = sum(c.nbytes for c in _copies.values())
        while total > budget and len(_copies) > 1:
            total -= _copies.popitem(last=False)[1].nbytes


def _brought_up_to_date(copy: _Copy | None, campaign_id: int, info: FrameworkInfo, figures: tuple[str, ...],
                        version: int, token: int) -> _Copy:
    layout = _layout(info)
    if (copy is None or copy.token != token or copy.layout != layout or not set(figures) <= set(copy.figures)
            or version < copy.version):
        return _whole(campaign_id, layout, figures, version, token)
    changed = np.array(sorted(int(e) for (e,) in fetch(
        sa.select(LedgerChange.entry_id).where(LedgerChange.campaign_id == campaign_id,
                                               LedgerChange.version > copy.version))), dtype=np.int64)
    if len(changed) > max(100, FULL_READ_SHARE * len(copy.entries)):
        return _whole(campaign_id, layout, figures, version, token)
    if len(changed):
        _apply(copy, changed, _rows(campaign_id, copy.figures, changed))
        if copy.marks is not None:
            copy.marks = copy.marks.replaced(changed, judged.fetch_marks(campaign_id, info, changed.tolist()))
    copy.version = version  # (not below the copy's: checked above)
    return copy


def _rows(campaign_id: int, figures: tuple[str, ...], entry_ids: np.ndarray | None) -> np.ndarray:
    """Ledger rows (entry, node, *figures) of the campaign, or of some of its entries."""
    stmt = sa.select(EntryNodeScore.entry_id, EntryNodeScore.node_id,
                     *(ledger.COLUMN_OF[f] for f in figures)).where(EntryNodeScore.campaign_id == campaign_id)
    if entry_ids is not None:
        stmt = stmt.where(EntryNodeScore.entry_id.in_(entry_ids.tolist()))
    return fetch_matrix(stmt, 2 + len(figures))


def _whole(campaign_id: int, layout: tuple[int, ...], figures: tuple[str, ...], version: int, token: int) -> _Copy:
    a = _rows(campaign_id, figures, None)
    entries = np.unique(a[:, 0].astype(np.int64))
    copy = _Copy(token, layout, figures, version, entries, {f: np.zeros((len(entries), len(layout))) for f in figures})
    _scatter(copy, a)
    return copy


def _apply(copy: _Copy, changed: np.ndarray, a: np.ndarray) -> None:
    """Replace the changed entries' rows (an entry's rows all go, then the ones read come back)."""
    new = np.setdiff1d(changed, copy.entries)
    if len(new):  # entries with no rows in the copy yet
        entries = np.union1d(copy.entries, new)
        at = np.searchsorted(entries, copy.entries)
        for f, old in copy.data.items():
            grown = np.zeros((len(entries), len(copy.layout)))
            grown[at] = old
            copy.data[f] = grown
        copy.entries = entries
    pos = np.searchsorted(copy.entries, changed)
    for arr in copy.data.values():
        arr[pos] = 0.0
    _scatter(copy, a)


def _scatter(copy: _Copy, a: np.ndarray) -> None:
    if not len(a):
        return
    pos = np.searchsorted(copy.entries, a[:, 0].astype(np.int64))
    cols = ledger.index_of(np.array(copy.layout, dtype=np.int64), a[:, 1].astype(np.int64))
    ok = cols >= 0  # rows of another framework version's nodes are ignored, as ledger.read does
    for k, f in enumerate(copy.figures, start=2):
        copy.data[f][pos[ok], cols[ok]] = a[ok, k]
