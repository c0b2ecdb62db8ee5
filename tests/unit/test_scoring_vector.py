"""Vectorised campaign scoring agrees with per-entry scoring; module purity."""
import ast
import math
import os
import pathlib
import sys

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoring.entry import score_entry
from scoring.framework import parse_framework, validate_framework
from scoring.rules import NA
from scoring.vector import compile_rules, points_matrix, totals, values_matrix

ROOT = pathlib.Path(__file__).resolve().parents[2]

# ---------------------------------------------------------------- a hand-computed campaign

SMALL = {
    "format": "thidua-framework/1", "code": "vec", "name": {"vi": "v"}, "scale": 100,
    "groups": [
        {"code": "I", "name": {"vi": "I"}, "kind": "regular", "max_points": 100, "children": [
            {"code": "a", "name": {"vi": "a"}, "max_points": 40, "na_allowed": True,
             "rule": {"kind": "linear", "floor": 0, "target": 80}},
            {"code": "b", "name": {"vi": "b"}, "max_points": 60,
             "rule": {"kind": "judged", "levels": [{"code": "good", "points": 60}, {"code": "ok", "points": 30}]}},
        ]},
        {"code": "B", "name": {"vi": "B"}, "kind": "bonus", "max_points": 5, "children": [
            {"code": "c", "name": {"vi": "c"}, "max_points": 5, "rule": {"kind": "bonus", "per_item": 2}}]},
        {"code": "P", "name": {"vi": "P"}, "kind": "penalty", "max_points": 10, "children": [
            {"code": "d", "name": {"vi": "d"}, "max_points": 10, "rule": {"kind": "penalty", "per_item": 4}}]},
    ],
}


def test_small_campaign_by_hand():
    fw = parse_framework(SMALL)
    comp = compile_rules(fw)
    assert comp.codes == ("a", "b", "c", "d")
    entries = [
        {"a": 40, "b": "good", "c": 1, "d": 0},   # 40*40/80 = 20 ; 60 ; 2 ; 0 -> 82
        {"a": NA, "b": "ok", "c": 3, "d": 1},     # NA -> 40 ; 30 ; min(6, 5) = 5 ; −4 -> 71
        {"a": None, "b": None, "c": 0, "d": 5},   # 0 ; 0 ; 0 ; −min(20, 10) = −10 -> max(0, −10) = 0
    ]
    vals, na = values_matrix(fw, comp, entries)
    pts = points_matrix(comp, vals, na)
    assert pts.tolist() == [[20, 60, 2, 0], [40, 30, 5, -4], [0, 0, 0, -10]]
    tot, groups = totals(comp, pts)
    assert tot.tolist() == [82, 71, 0]
    assert groups["I"].tolist() == [80, 70, 0] and groups["P"].tolist() == [0, -4, -10]
    # judges' aggregate fits a judged column
    vals, na = values_matrix(fw, comp, entries[:1], judged=[{"b": 45.5}])
    assert points_matrix(comp, vals, na)[0, 1] == 45.5


# ---------------------------------------------------------------- random frameworks

mp_st = st.one_of(st.integers(1, 50).map(float), st.floats(0.5, 50).map(lambda x: round(x, 3)))


@st.composite
def indicator(draw, code, group_kind):
    mp = draw(mp_st)
    if group_kind == "penalty":
        kind = "penalty"
    elif group_kind == "bonus":
        kind = draw(st.sampled_from(["bonus", "yes_no", "count", "manual"]))
    else:
        kind = draw(st.sampled_from(["target", "linear", "banded", "yes_no", "count", "judged", "manual"]))
    d = draw(st.sampled_from(["higher", "lower"]))
    if kind == "target":
        rule = {"kind": kind, "target": draw(st.integers(0, 100)), "direction": d}
    elif kind == "linear":
        a, b = sorted(draw(st.lists(st.integers(0, 100), min_size=2, max_size=2, unique=True)))
        rule = {"kind": kind, "floor": a if d == "higher" else b, "target": b if d == "higher" else a,
                "direction": d}
    elif kind == "banded":
        froms = sorted(draw(st.lists(st.integers(0, 100), min_size=1, max_size=4, unique=True)))
        rule = {"kind": kind, "bands": [{"from": f, "points": draw(st.floats(0, mp))} for f in froms]}
    elif kind in ("count", "bonus", "penalty"):
        rule = {"kind": kind, "per_item": draw(st.floats(0.25, 10).map(lambda x: round(x, 2)))}
        if kind == "count" and draw(st.booleans()):
            rule["cap"] = draw(st.floats(0, 60))
    elif kind == "judged":
        rule = {"kind": kind, "levels": [{"code": "hi", "points": mp}, {"code": "mid", "points": mp / 3},
                                         {"code": "lo", "points": 0}]}
    else:
        rule = {"kind": kind}
    return {"code": code, "name": {"vi": code}, "max_points": mp, "na_allowed": draw(st.booleans()), "rule": rule}


@st.composite
def framework_doc(draw):
    groups = []
    n_reg = draw(st.integers(1, 3))
    kinds = ["regular"] * n_reg + (["bonus"] if draw(st.booleans()) else []) + \
        (["penalty"] if draw(st.booleans()) else [])
    for gi, kind in enumerate(kinds):
        children = []
        for ci in range(draw(st.integers(1, 3))):
            code = f"G{gi}.{ci}"
            if draw(st.booleans()):
                subs = [draw(indicator(f"{code}.{k}", kind)) for k in range(draw(st.integers(1, 3)))]
                node = {"code": code, "name": {"vi": code}, "max_points": draw(mp_st), "children": subs}
                if draw(st.booleans()):
                    node["cap"] = draw(mp_st)
                children.append(node)
            else:
                children.append(draw(indicator(code, kind)))
        g = {"code": f"G{gi}", "name": {"vi": "g"}, "kind": kind, "max_points": draw(st.floats(1, 120)),
             "children": children}
        if draw(st.booleans()):
            g["cap"] = draw(st.floats(0, 120))
        groups.append(g)
    return {"format": "thidua-framework/1", "code": "rand", "name": {"vi": "r"},
            "scale": draw(st.sampled_from([50, 100, 1000])), "groups": groups}


def raw_value(draw, node):
    """(entry value, matrix value, na flag) for one indicator."""
    r = node.rule
    what = draw(st.sampled_from(["value"] * 6 + ["missing", "na"]))
    if what == "missing":
        return None, math.nan, False
    if what == "na":
        return NA, math.nan, True
    if r.kind == "yes_no":
        b = draw(st.booleans())
        return b, float(b), False
    if r.kind == "judged":
        lv = draw(st.sampled_from(r.levels))
        return lv.code, lv.points, False
    if r.kind in ("count", "bonus", "penalty"):
        v = float(draw(st.integers(-1, 20)))
        return v, v, False
    v = draw(st.floats(-20, 120).map(lambda x: round(x, 2)))
    return v, v, False


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_vector_equals_per_entry(data):
    doc = data.draw(framework_doc())
    assert validate_framework(doc) == []
    fw = parse_framework(doc)
    comp = compile_rules(fw)
    inds = fw.indicators()
    n_units = data.draw(st.integers(1, 5))
    entries, vals, na = [], np.full((n_units, len(inds)), np.nan), np.zeros((n_units, len(inds)), dtype=bool)
    for i in range(n_units):
        entry = {}
        for j, node in enumerate(inds):
            ev, mv, isna = raw_value(data.draw, node)
            entry[node.code] = ev
            vals[i, j], na[i, j] = mv, isna
        entries.append(entry)
    pts = points_matrix(comp, vals, na)
    tot, groups = totals(comp, pts)
    for i, entry in enumerate(entries):
        e = score_entry(fw, entry)
        for j, node in enumerate(inds):
            assert abs(pts[i, j] - e.indicators[node.code].points) < 1e-6, node.code
        for code, g in e.groups.items():
            assert abs(groups[code][i] - g.points) < 1e-6, code
        assert abs(tot[i] - e.total) < 1e-6
        # the entry total is the sum of its capped group parts
        reg = sum(e.groups[g.code].points for g in fw.groups if g.kind == "regular")
        rest = sum(e.groups[g.code].points for g in fw.groups if g.kind != "regular")
        expect = max(0.0, min(min(reg, fw.scale) + rest, fw.scale + fw.bonus_cap_total))
        assert abs(e.total - expect) < 1e-3
    # values_matrix builds the same matrix from the raw entries
    v2, na2 = values_matrix(fw, comp, entries)
    assert np.array_equal(na2, na) and np.allclose(points_matrix(comp, v2, na2), pts, atol=1e-9)


# ---------------------------------------------------------------- purity

FORBIDDEN = {"flask", "sqlalchemy", "celery", "redis", "campaign"}


def test_scoring_is_pure():
    files = sorted((ROOT / "scoring").glob("*.py"))
    assert files
    for f in files:
        tree = ast.parse(f.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""] if node.level == 0 else []
            else:
                continue
            for name in names:
                assert name.split(".")[0] not in FORBIDDEN, f"{f.name} imports {name}"
