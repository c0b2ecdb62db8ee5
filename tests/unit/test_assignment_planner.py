"""The pure assignment planner: K distinct non-conflicted judges, balanced loads, clear shortfalls."""
from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.assignment import plan_assignment


def _valid(plan, entries, judges, k, conflicts, caps):
    loads = {j: 0 for j in judges}
    for e in entries:
        js = plan.assignments[e]
        assert len(js) == len(set(js)), "a judge twice on one entry"
        assert all((j, e) not in conflicts for j in js), "conflicted judge assigned"
        for j in js:
            loads[j] += 1
    assert loads == plan.loads
    for j, cap in caps.items():
        if cap is not None:
            assert loads[j] <= cap
    return loads


def _oracle(entries, judges, k, conflicts, caps):
    """Brute force: the smallest Σ load² of any full assignment, or None when infeasible."""
    options = []
    for e in entries:
        ok = [j for j in judges if (j, e) not in conflicts]
        options.append(list(itertools.combinations(ok, k)))
    best = None
    for combo in itertools.product(*options):
        loads = {j: 0 for j in judges}
        for js in combo:
            for j in js:
                loads[j] += 1
        if any(caps.get(j) is not None and loads[j] > caps[j] for j in judges):
            continue
        cost = sum(v * v for v in loads.values())
        best = cost if best is None else min(best, cost)
    return best


def test_thirty_entries_three_judges_each():
    plan = plan_assignment(range(30), ["a", "b", "c", "d", "e"], 3)
    assert plan.feasible
    assert all(len(js) == 3 for js in plan.assignments.values())
    assert sorted(plan.loads.values()) == [18, 18, 18, 18, 18]  # 90 slots / 5 judges


def test_balance_without_conflicts_seven_judges():
    plan = plan_assignment(range(10), range(7), 3)
    # 30 slots over 7 judges: two judges carry 5, five carry 4
    assert sorted(plan.loads.values()) == [4, 4, 4, 4, 4, 5, 5]


def test_infeasible_entry_is_reported_with_reason():
    # entry 0 conflicts with judges 0 and 1; only judge 2 is left but K = 2
    plan = plan_assignment([0, 1], [0, 1, 2], 2, conflicts={(0, 0), (1, 0)})
    assert not plan.feasible
    [s] = plan.shortfalls
    assert (s.entry_id, s.needed, s.got, s.eligible, s.reason) == (0, 2, 1, 1, "too_few_eligible")
    assert plan.assignments[0] == [2]
    assert len(plan.assignments[1]) == 2


def test_capacity_shortfall_is_reported():
    plan = plan_assignment([0, 1, 2], ["a", "b"], 2, caps={"a": 1, "b": 3})
    assert [(s.entry_id, s.reason) for s in plan.shortfalls] == [(1, "capacity"), (2, "capacity")]
    assert plan.loads == {"a": 1, "b": 3}


def test_caps_shift_load_to_others():
    plan = plan_assignment(range(6), ["a", "b", "c"], 2, caps={"a": 2})
    assert plan.loads == {"a": 2, "b": 5, "c": 5}


def test_augmenting_path_finds_feasible_plan_greedy_would_miss():
    # judge x is the only eligible judge for entry 1 but capped at 1; entry 0 (processed first
    # by id if greedy were naive) could use y instead.
    conflicts = {("y", 1)}
    plan = plan_assignment([0, 1], ["x", "y"], 1, conflicts=conflicts, caps={"x": 1, "y": 1})
    assert plan.feasible
    assert plan.assignments == {0: ["y"], 1: ["x"]}


def test_fixed_assignments_are_kept_and_counted():
    plan = plan_assignment([0, 1, 2], ["a", "b", "c"], 1, fixed=[(0, "a"), (1, "a")])
    assert plan.assignments[0] == ["a"] and plan.assignments[1] == ["a"]
    assert plan.new == [(2, "b")] or plan.new == [(2, "c")]


def test_reciprocal_judging_is_not_produced():
    # judges j1 (unit A) and j2 (unit B), entries eA (unit A) and eB (unit B), A and B in one cluster
    plan = plan_assignment(["eA", "eB"], ["j1", "j2", "j3"], 1,
                           conflicts={("j1", "eA"), ("j2", "eB")},
                           judge_unit={"j1": "A", "j2": "B"}, entry_unit={"eA": "A", "eB": "B"},
                           reciprocal_pairs=[frozenset(("A", "B"))])
    assert plan.feasible
    pairs = {(j, e) for e, js in plan.assignments.items() for j in js}
    assert not ({("j1", "eB"), ("j2", "eA")} <= pairs)


small = st.integers(min_value=1, max_value=5)


@st.composite
def instances(draw, max_entries=5, max_judges=5, with_caps=True):
    n_e = draw(st.integers(1, max_entries))
    n_j = draw(st.integers(1, max_judges))
    k = draw(st.integers(1, min(3, n_j)))
    entries, judges = list(range(n_e)), [f"j{i}" for i in range(n_j)]
    pairs = [(j, e) for j in judges for e in entries]
    conflicts = set(draw(st.lists(st.sampled_from(pairs), max_size=len(pairs) // 2))) if pairs else set()
    caps = {}
    if with_caps:
        for j in judges:
            caps[j] = draw(st.one_of(st.none(), st.integers(0, n_e)))
    return entries, judges, k, conflicts, caps


@settings(max_examples=150, deadline=None)
@given(instances(max_entries=4, max_judges=4))
def test_property_matches_brute_force(inst):
    entries, judges, k, conflicts, caps = inst
    plan = plan_assignment(entries, judges, k, conflicts=conflicts, caps=caps)
    loads = _valid(plan, entries, judges, k, conflicts, caps)
    best = _oracle(entries, judges, k, conflicts, caps)
    if best is None:
        assert not plan.feasible and plan.shortfalls
        for s in plan.shortfalls:
            assert s.got == len(plan.assignments[s.entry_id]) < k
            assert s.eligible == sum(1 for j in judges if (j, s.entry_id) not in conflicts)
    else:
        assert plan.feasible, "a feasible instance was reported infeasible"
        assert all(len(plan.assignments[e]) == k for e in entries)
        assert sum(v * v for v in loads.values()) == best  # as balanced as possible


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 40), st.integers(1, 9), st.integers(1, 4))
def test_property_no_conflicts_loads_differ_by_at_most_one(n_entries, n_judges, k):
    k = min(k, n_judges)
    plan = plan_assignment(range(n_entries), range(n_judges), k)
    assert plan.feasible
    assert all(len(set(js)) == k for js in plan.assignments.values())
    assert max(plan.loads.values()) - min(plan.loads.values()) <= 1


@settings(max_examples=100, deadline=None)
@given(instances(max_entries=12, max_judges=7, with_caps=False))
def test_property_larger_instances_balanced_among_spare_judges(inst):
    entries, judges, k, conflicts, caps = inst
    plan = plan_assignment(entries, judges, k, conflicts=conflicts)
    _valid(plan, entries, judges, k, conflicts, caps)
    for s in plan.shortfalls:  # uncapped: a shortfall can only come from too few eligible judges
        assert s.reason == "too_few_eligible" and s.got == s.eligible
    for e in entries:
        if sum(1 for j in judges if (j, e) not in conflicts) >= k:
            assert len(plan.assignments[e]) == k
    # no judge carries two more than another judge who could have taken one of their entries
    for a in judges:
        for b in judges:
            if plan.loads[a] >= plan.loads[b] + 2:
                movable = [e for e, js in plan.assignments.items() if a in js and b not in js and (b, e) not in conflicts]
                assert not movable, (a, b, movable)
