"""Assigning judges to entries: the planner.

``plan_assignment`` is a pure function over plain data (ids, sets, dicts): no Flask, no
database. It gives each entry ``k`` distinct judges that are not in conflict with it,
keeps every judge's load within their cap, and balances loads: among judges with spare
capacity no judge ends with two or more entries more than another, whenever the conflicts
allow it at all. It is a convex-cost flow solved with augmenting paths:

1. Feasibility: slots are filled most-constrained entry first, each with the least-loaded
   eligible judge; when every eligible judge is at their cap an augmenting path shifts
   entries between judges to free one (max-flow, so a feasible plan is always found).
2. Balance: while some judge A carries at least two more entries than a judge B with
   spare capacity and a chain of moves A → … → B exists (A gives an entry to a judge who
   may take it, who gives one of theirs to the next …), the chain is applied. Each move
   lowers Σ load², and when no such chain exists Σ load² is minimal (no negative cycle in
   the residual graph), so a balanced plan is found whenever one exists.

Existing assignments (``fixed``) are kept as they are and count towards loads.
Reciprocal judging (a judge of unit A on B's entry *and* a judge of unit B on A's entry,
for the unit pairs given in ``reciprocal_pairs``) is never produced.

The database side (:mod:`campaign.services.judging.assignment`: ``propose``/``apply_auto``/manual
assignment) loads the plain data, calls the planner and persists; views call those.
"""
from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field

Id = Hashable


@dataclass(frozen=True)
class Shortfall:
    entry_id: Id
    needed: int
    got: int
    eligible: int  # judges on the panel not in conflict with this entry

    @property
    def reason(self) -> str:
        return "too_few_eligible" if self.eligible < self.needed else "capacity"


@dataclass
class Plan:
    k: int
    assignments: dict[Id, list[Id]]  # entry -> judges (fixed + new), sorted
    new: list[tuple[Id, Id]]  # (entry, judge) pairs to create
    loads: dict[Id, int]
    shortfalls: list[Shortfall] = field(default_factory=list)

    @property
    def feasible(self) -> bool:
        return not self.shortfalls


class _State:
    def __init__(self, entries, judges, caps, conflicts, fixed, judge_unit, entry_unit, reciprocal_pairs):
        self.entries = list(entries)
        self.judges = list(judges)
        self.caps = {j: caps.get(j) for j in self.judges}
        self.conflicts = conflicts
        self.judge_unit = judge_unit
        self.entry_unit = entry_unit
        self.pairs = reciprocal_pairs
        self.on: dict[Id, set] = {e: set() for e in self.entries}
        self.of: dict[Id, set] = {j: set() for j in self.judges}
        self.fixed: set[tuple[Id, Id]] = set()
        self.direction: dict[tuple, int] = defaultdict(int)  # (judge unit, entry unit) -> count
        for e, j in fixed:
            if e in self.on and j in self.of:
                self._add(e, j)
                self.fixed.add((e, j))

    def load(self, j) -> int:
        return len(self.of[j])

    def spare(self, j) -> bool:
        cap = self.caps[j]
        return cap is None or self.load(j) < cap

    def _units(self, e, j):
        return self.judge_unit.get(j), self.entry_unit.get(e)

    def sensitive(self, e, j) -> bool:
        uj, ue = self._units(e, j)
        return uj is not None and ue is not None and frozenset((uj, ue)) in self.pairs

    def statically_ok(self, e, j) -> bool:
        return (j, e) not in self.conflicts

    def ok(self, e, j) -> bool:
        """May ``j`` be added to ``e`` now (no conflict, not already on it, no reciprocity)."""
        if j in self.on[e] or not self.statically_ok(e, j):
            return False
        if self.sensitive(e, j):
            uj, ue = self._units(e, j)
            if self.direction[(ue, uj)] > 0:
                return False
        return True

    def _add(self, e, j):
        self.on[e].add(j)
        self.of[j].add(e)
        self.direction[self._units(e, j)] += 1

    def _remove(self, e, j):
        self.on[e].discard(j)
        self.of[j].discard(e)
        self.direction[self._units(e, j)] -= 1

    def reciprocity_ok(self) -> bool:
        return not any(n > 0 and a is not None and frozenset((a, b)) in self.pairs
                       and self.direction.get((b, a), 0) > 0 for (a, b), n in self.direction.items())

    def apply(self, moves):
        """moves: list of ('add', e, j) / ('del', e, j); returns True if the state stays valid."""
        for op, e, j in moves:
            (self._add if op == "add" else self._remove)(e, j)
        if any(self.sensitive(e, j) for _op, e, j in moves) and not self.reciprocity_ok():
            for op, e, j in reversed(moves):
                (self._remove if op == "add" else self._add)(e, j)
            return False
        return True


def _key(x):
    return (str(type(x)), x) if not isinstance(x, (int, float)) else ("", x)


def plan_assignment(
    entries: Iterable[Id],
    judges: Iterable[Id],
    k: int,
    *,
    conflicts: Iterable[tuple[Id, Id]] = (),
    caps: Mapping[Id, int | None] | None = None,
    fixed: Iterable[tuple[Id, Id]] = (),
    judge_unit: Mapping[Id, Id] | None = None,
    entry_unit: Mapping[Id, Id] | None = None,
    reciprocal_pairs: Iterable[frozenset] = (),
) -> Plan:
    """Give each entry ``k`` distinct, non-conflicted judges with balanced loads.

    ``conflicts`` holds (judge, entry) pairs that must never be assigned; ``caps`` the
    maximum load per judge (None = no cap); ``fixed`` existing (entry, judge) assignments
    that are kept. Entries that cannot get ``k`` judges are reported in ``shortfalls``
    (with how many judges are eligible at all) and get as many as possible.
    """
    if k < 1:
        raise ValueError("k must be at least 1")
    entries = sorted(set(entries), key=_key)
    judges = sorted(set(judges), key=_key)
    st = _State(entries, judges, dict(caps or {}), set(conflicts), list(fixed),
                dict(judge_unit or {}), dict(entry_unit or {}), {frozenset(p) for p in reciprocal_pairs})

    eligible = {e: [j for j in judges if st.statically_ok(e, j)] for e in entries}
    order = sorted(entries, key=lambda e: (len(eligible[e]), _key(e)))

    # Phase 1: fill the slots.
    for e in order:
        while len(st.on[e]) < k:
            if not _fill_one(st, e, eligible[e]):
                break

    # Phase 2: balance.
    _balance(st)

    new = sorted(((e, j) for e in entries for j in st.on[e] if (e, j) not in st.fixed),
                 key=lambda p: (_key(p[0]), _key(p[1])))
    shortfalls = [Shortfall(e, k, len(st.on[e]), len(eligible[e])) for e in entries if len(st.on[e]) < k]
    return Plan(k=k, assignments={e: sorted(st.on[e], key=_key) for e in entries}, new=new,
                loads={j: st.load(j) for j in judges}, shortfalls=shortfalls)


def _fill_one(st: _State, e, candidates) -> bool:
    direct = [j for j in candidates if st.spare(j) and st.ok(e, j)]
    if direct:
        j = min(direct, key=lambda j: (st.load(j), _key(j)))
        st._add(e, j)
        return True
    # Augmenting path: e takes a full judge j0; j0 drops e1, which takes j1; … until a judge
    # with spare capacity is reached.
    starts = [j for j in candidates if st.ok(e, j)]
    parent: dict[Id, tuple[Id, Id] | None] = {}
    queue: deque[Id] = deque()
    for j in starts:
        parent[j] = None
        queue.append(j)
    while queue:
        j = queue.popleft()
        if st.spare(j) and parent[j] is not None:
            moves, cur = _walk_back(parent, j)
            moves.append(("add", e, cur))
            if st.apply(moves):
                return True
            continue
        for e2 in sorted(st.of[j], key=_key):
            if (e2, j) in st.fixed or e2 == e:
                continue
            for j2 in st.judges:
                if j2 not in parent and st.ok(e2, j2):
                    parent[j2] = (j, e2)
                    queue.append(j2)
    return False


def _balance(st: _State) -> None:
    blocked: set = set()
    for _ in range(10 * (len(st.entries) * max(1, len(st.judges))) + 10):
        improved = False
        for a in sorted(st.judges, key=lambda j: (-st.load(j), _key(j))):
            if a in blocked:
                continue
            path = _transfer_path(st, a)
            if path is None:
                continue
            if st.apply(path):
                improved = True
                break
            blocked.add(a)
        if not improved:
            return


def _transfer_path(st: _State, a):
    """A chain of moves from ``a`` to a judge with spare capacity and load ≤ load(a) − 2."""
    la = st.load(a)
    parent: dict[Id, tuple[Id, Id] | None] = {a: None}
    queue = deque([a])
    best = None
    while queue:
        j = queue.popleft()
        if j != a and st.spare(j) and st.load(j) <= la - 2:
            best = j
            break
        for e in sorted(st.of[j], key=_key):
            if (e, j) in st.fixed:
                continue
            for j2 in st.judges:
                if j2 not in parent and st.ok(e, j2):
                    parent[j2] = (j, e)
                    queue.append(j2)
    if best is None:
        return None
    return _walk_back(parent, best)[0]


def _walk_back(parent: dict[Id, tuple[Id, Id] | None], end: Id) -> tuple[list[tuple[str, Id, Id]], Id]:
    """The moves along a search path ending at judge ``end``, and the judge the path starts from."""
    moves: list[tuple[str, Id, Id]] = []
    cur, step = end, parent[end]
    while step is not None:
        prev, via = step
        moves += [("del", via, prev), ("add", via, cur)]
        cur, step = prev, parent[prev]
    return moves, cur
