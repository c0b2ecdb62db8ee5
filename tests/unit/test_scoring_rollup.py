"""District rollups from commune results (hand-computed)."""
import os
import sys

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))

import pytest

from scoring.rollup import CommuneResult as C
from scoring.rollup import rollup

COMMUNES = [C("a", 80, 1000, True), C("b", 60, 3000, False), C("c", 100, None, True)]


def test_mean():
    r = rollup({"kind": "mean"}, None, COMMUNES)
    assert r.total == 80 and r.method == "mean"          # (80 + 60 + 100) / 3
    assert [c["unit_code"] for c in r.components] == ["a", "b", "c"]


def test_weighted_mean_imputes_missing_population():
    # c has no population -> mean of known (1000 + 3000) / 2 = 2000 ; Σ = 6000
    # 80 * 1/6 + 60 * 3/6 + 100 * 2/6 = 13.3333 + 30 + 33.3333 = 76.6667
    r = rollup({"kind": "weighted_mean"}, None, COMMUNES)
    assert r.total == 76.666666667
    comp = {c["unit_code"]: c for c in r.components}
    assert comp["c"]["population"] == 2000 and comp["c"]["population_imputed"]
    assert comp["b"]["weight"] == 0.5


def test_share_meeting():
    assert rollup({"kind": "share_meeting", "scale": 100}, None, COMMUNES).total == 66.666666667   # 2/3 * 100
    assert rollup({"kind": "share_meeting", "scale": 10}, None, COMMUNES).total == 6.666666667  # 2/3 * 10
    r = rollup({"kind": "share_meeting"}, None, COMMUNES)
    assert r.components[-1] == {"met": 2, "of": 3, "scale": 100.0}


def test_combined():
    rule = {"kind": "combined", "own_weight": 0.4, "communes_weight": 0.6, "communes": {"kind": "mean"}}
    r = rollup(rule, 90, COMMUNES)
    assert r.total == 84            # 0.4 * 90 + 0.6 * 80 = 36 + 48
    own, comm = r.components
    assert own["contribution"] == 36 and comm["contribution"] == 48 and comm["method"] == "mean"
    r = rollup(dict(rule, communes={"kind": "share_meeting", "scale": 100}), 90, COMMUNES)
    assert r.total == 76            # 36 + 0.6 * 66.6667 = 36 + 40.0000
    r = rollup(rule, None, COMMUNES)
    assert r.total == 48 and r.components[0]["missing"]   # own missing counts as 0


def test_empty_and_unknown():
    assert rollup({"kind": "mean"}, None, []).total == 0
    assert rollup({"kind": "weighted_mean"}, None, []).total == 0
    assert rollup({"kind": "share_meeting"}, None, []).total == 0
    with pytest.raises(ValueError):
        rollup({"kind": "median"}, None, COMMUNES)


def test_weighted_mean_without_any_population_is_plain_mean():
    r = rollup({"kind": "weighted_mean"}, None, [C("a", 80), C("b", 60)])
    assert r.total == 70            # equal weights
