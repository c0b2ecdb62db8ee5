"""Issue 16 value constructs: computed indicators, criterion-level N/A, unit-dependent targets.

Format validation, export → import → export, and the per-entry engine against the vectorised one.
Expected figures are worked out by hand from tests/values_constructs_helpers.DOC:
1c = linear 50 → 100 % over 20 points; 2 (N/A-able criterion) = 2a 6 + 2b 4; 3 = 30 points at the
region's target (north 70, else 60); 4 = 35 points at the kind's target (ward 95, commune 90);
5 = workers ÷ 20 as points (max 5).
"""
import json

import numpy as np
import pytest
import yaml

from scoring.entry import check_values, score_entry
from scoring.framework import dump_framework, parse_framework, validate_framework
from scoring.rules import NA
from scoring.values import UnitContext, na_parts
from scoring.vector import compile_rules, points_matrix, totals, values_matrix
from tests.values_constructs_helpers import DOC, doc, node

pytestmark = pytest.mark.unit

WARD_HANOI = UnitContext("ward", "01")
COMMUNE_HCMC = UnitContext("commune", "79")


def errors_of(d):
    return validate_framework(d)


# --------------------------------------------------------------------------- validation

def test_the_example_is_valid():
    assert errors_of(DOC) == []


@pytest.mark.parametrize("expr,message", [
    ("[1a] / [zz] * 100", "1c: compute expression refers to unknown code [zz]"),
    ("[1c] + 1", "1c: compute expression refers to the indicator itself"),
    ("[2a] + 1", "1c: compute expression refers to [2a], which is not numeric (value_type 'yes_no')"),
    ("[1] + 1", "1c: compute expression refers to [1], which is not an indicator"),
    ("[1a] / ", "1c: compute expression '[1a] / ': unexpected end of the expression"),
    ("pow([1a], 2)", "1c: compute expression 'pow([1a], 2)': unknown function 'pow' at position 1 (allowed: min, max, round)"),
])
def test_compute_errors_name_the_code(expr, message):
    d = doc()
    node(d, "1c")["compute"]["expr"] = expr
    assert message in errors_of(d)


def test_cycle_between_computed_indicators():
    d = doc()
    node(d, "1c")["compute"]["expr"] = "[5] + 1"
    node(d, "5")["compute"]["expr"] = "[1c] / 20"
    assert any(e.startswith("computed indicators refer to each other in a cycle: ") and "1c" in e and "5" in e
               for e in errors_of(d))


def test_compute_shape_errors():
    d = doc()
    node(d, "1c")["compute"] = {"expr": "[1a]", "if_zero": "zero", "when": 1}
    node(d, "5")["compute"] = "[5a] / 20"
    node(d, "2a")["compute"] = {"expr": "[1a]"}
    errs = errors_of(d)
    assert "1c: compute 'if_zero' must be a number" in errs
    assert "1c: compute has unknown keys ['when'] (allowed: expr, if_zero)" in errs
    assert any(e.startswith("5: compute must be a mapping with an 'expr' text") for e in errs)
    assert any(e.startswith("2a: a computed indicator needs a rule that scores a number") for e in errs)


def test_computed_indicator_cannot_be_na_itself():
    d = doc()
    node(d, "1c")["na_allowed"] = True
    assert "1c: a computed indicator cannot be marked not applicable itself; put na_allowed on its criterion" \
        in errors_of(d)


def test_info_rule_needs_zero_points():
    d = doc()
    node(d, "1a")["max_points"] = 2
    assert "1a: an info rule (information only) needs max_points 0" in errors_of(d)


def test_table_errors():
    d = doc(regions={"north": {"provinces": ["01"]}, "south": {"provinces": ["01", "79"]}})
    node(d, "3")["rule"]["target"] = {"by": "region", "table": {"central": 65}}
    node(d, "4")["rule"]["target"] = {"by": "district", "table": {"ward": "x"}, "default": 90}
    node(d, "2a")["rule"]["yes_points"] = {"by": "unit_kind", "table": {"ward": 1}, "default": 2}
    errs = errors_of(d)
    assert "region south: province 01 is already in region north" in errs
    assert "3: rule 'target' table needs a numeric 'default' (for units the table does not list)" in errs
    assert "3: rule 'target' table names region 'central', which the framework's 'regions' do not declare" in errs
    assert "4: rule 'target' table needs 'by: unit_kind' or 'by: region' (got 'district')" in errs
    assert "4: rule 'target' table value for 'ward' must be a number" in errs
    assert "2a: rule parameter 'yes_points' cannot be a table (only target, floor)" in errs


def test_linear_table_order_checked_per_key():
    d = doc()
    node(d, "1c")["rule"] = {"kind": "linear", "floor": 50, "target": {"by": "unit_kind", "table": {"ward": 40},
                                                                        "default": 100}}
    assert "1c: linear rule floor 50 and target 40 for ward are not in the order of direction higher" in errors_of(d)


# --------------------------------------------------------------------------- round trip

def test_export_import_export_is_byte_identical_json_and_yaml():
    once = dump_framework(parse_framework(DOC))
    j1 = json.dumps(once, ensure_ascii=False, indent=2)
    j2 = json.dumps(dump_framework(parse_framework(json.loads(j1))), ensure_ascii=False, indent=2)
    assert j1 == j2
    y1 = yaml.safe_dump(once, allow_unicode=True, sort_keys=False)
    y2 = yaml.safe_dump(dump_framework(parse_framework(yaml.safe_load(y1))), allow_unicode=True, sort_keys=False)
    assert y1 == y2
    assert '"compute": {\n' in j1 and '"expr": "[1a] / [1b] * 100"' in j1
    assert "      target:\n        by: region\n        table:\n          north: 70\n        default: 60\n" in y1
    assert "regions:\n  north:" in y1


# --------------------------------------------------------------------------- engine

VALUES = {"1a": 45, "1b": 50, "2": NA, "2a": "no", "3": 65, "4": 92, "5a": 60}


def test_hand_worked_totals_per_unit():
    ward = score_entry(parse_framework(DOC), VALUES, unit=WARD_HANOI)
    # 1c: 45/50 = 90 % → (90-50)/50 × 20 = 16; criterion 2 N/A → 6 + 4 (2a's "no" is ignored);
    # 3: 65 < north's 70 → 0; 4: 92 < ward's 95 → 0; 5: 60 / 20 = 3
    assert [ward.indicators[c].points for c in ("1c", "2a", "2b", "3", "4", "5")] == [16, 6, 4, 0, 0, 3]
    assert ward.total == 29
    commune = score_entry(parse_framework(DOC), VALUES, unit=COMMUNE_HCMC)
    assert commune.indicators["3"].points == 30 and commune.indicators["4"].points == 35  # 65 ≥ 60, 92 ≥ 90
    assert commune.total == 94
    assert score_entry(parse_framework(DOC), VALUES).total == 94  # no unit: the defaults 60 and 90


def test_explanation_says_formula_na_criterion_and_threshold():
    ex = score_entry(parse_framework(DOC), VALUES, unit=WARD_HANOI).to_explanation()
    by = {i["code"]: i for i in ex["indicators"]}
    assert by["1c"]["basis"] == {"formula": "[1a] / [1b] * 100", "operands": ["1a", "1b"], "computed": 90.0}
    assert by["1c"]["value"] == 90.0
    assert by["2a"]["basis"] == {"na_part": "2"} and by["2a"]["status"] == "not_applicable"
    assert by["4"]["basis"]["thresholds"] == [{"param": "target", "by": "unit_kind", "key": "ward", "value": 95.0}]
    assert by["3"]["basis"]["thresholds"] == [{"param": "target", "by": "region", "key": "north", "value": 70.0}]
    assert "basis" not in by["1a"]


def test_division_by_zero_missing_or_if_zero():
    fw = parse_framework(DOC)
    s = score_entry(fw, {"1a": 3, "1b": 0, "5a": 0})
    assert s.indicators["1c"].status == "missing" and s.indicators["1c"].points == 0
    assert s.indicators["1c"].basis["reason"] == "division_by_zero"
    assert s.indicators["1c"].basis["reason_code"] == "[1b]"
    # 5 declares if_zero: 0 — but 0 / 20 is no division by zero; 0 workers → 0 points either way
    assert s.indicators["5"].value == 0 and s.indicators["5"].status == "scored"
    d = doc()
    node(d, "1c")["compute"]["if_zero"] = 100
    s = score_entry(parse_framework(d), {"1a": 0, "1b": 0})
    assert s.indicators["1c"].value == 100 and s.indicators["1c"].points == 20
    assert s.indicators["1c"].basis["if_zero"] == 100


def test_missing_operand_is_missing_not_zero():
    s = score_entry(parse_framework(DOC), {"1a": 45})
    assert s.indicators["1c"].value is None and s.indicators["1c"].status == "missing"
    assert s.indicators["1c"].basis["reason"] == "missing" and s.indicators["1c"].basis["reason_code"] == "1b"


def test_typed_value_of_a_computed_indicator_is_ignored():
    s = score_entry(parse_framework(DOC), {"1a": 25, "1b": 50, "1c": 100})
    assert s.indicators["1c"].value == 50 and s.indicators["1c"].points == 0


def test_criterion_na_only_when_allowed():
    fw = parse_framework(DOC)
    assert na_parts(fw, {"2": NA, "1": NA}) == {"2"}
    s = score_entry(fw, {"1": NA, "1a": 45, "1b": 50})
    assert s.indicators["1c"].points == 16  # criterion 1 has no na_allowed: ignored by the engine
    issues = check_values(fw, {"1": NA, "2a": "NA", "1a": 1, "1b": 1})
    assert [i.key for i in issues["1"]] == ["na_not_allowed"]
    assert [i.key for i in issues["2a"]] == ["na_not_allowed"]  # a sub-item alone: only the criterion may be N/A
    assert "2a" not in check_values(fw, {"2": NA, "2a": "NA", "2b": "NA"})


def test_check_values_on_computed():
    fw = parse_framework(DOC)
    issues = check_values(fw, {"1a": 5, "1b": 0})
    assert [(i.key, i.params) for i in issues["1c"]] == [
        ("not_computable", {"reason": "division_by_zero", "operand": "[1b]"})]
    issues = check_values(fw, {"1a": 60, "1b": 50})  # 120 % of a percentage
    assert [i.key for i in issues["1c"]] == ["out_of_range"]
    d = doc()
    node(d, "1c")["required"] = True
    issues = check_values(parse_framework(d), {"1a": 5})
    assert [(i.key, i.params) for i in issues["1c"]] == [("not_computable", {"reason": "missing", "operand": "1b"})]
    assert "1c" not in check_values(fw, {"1a": 5})  # not required: missing is no error


def test_vector_path_agrees_with_per_entry_engine():
    fw = parse_framework(DOC)
    entries = [VALUES, {"1a": 3, "1b": 0, "2a": "yes", "2b": "no", "3": 80, "4": 96, "5a": 130},
               {"1a": 45}, {"2": NA, "1a": 10, "1b": 10}, {}]
    units = [WARD_HANOI, COMMUNE_HCMC, None, UnitContext("ward", "79"), WARD_HANOI]
    compiled = compile_rules(fw)
    vals, na = values_matrix(fw, compiled, entries)
    pts = points_matrix(compiled, vals, na, units=units, fw=fw)
    tot, node_pts = totals(compiled, pts)
    for i, (entry, unit) in enumerate(zip(entries, units, strict=True)):
        es = score_entry(fw, entry, unit=unit)
        assert tot[i] == es.total
        assert list(pts[i]) == [es.indicators[c].points for c in compiled.codes]
        for code, g in es.groups.items():
            assert node_pts[code][i] == g.points
    # hand-worked: unit 2 = 0 (1c not computable) + 6 + 0 + 30 (80 ≥ 60) + 35 (96 ≥ 90) + 5 (130/20 = 6.5 → max 5)
    assert tot[1] == 76
    # unit 4: 10/10 = 100 % → 20, criterion 2 N/A → 10, nothing else typed
    assert np.array_equal(tot, [29, 76, 0, 30, 0])


def test_info_rule_scores_nothing_but_checks_the_number():
    fw = parse_framework(DOC)
    s = score_entry(fw, {"1a": 45, "5a": "abc"})
    assert s.indicators["1a"].points == 0 and s.indicators["1a"].status == "scored"
    assert s.indicators["5a"].status == "invalid"
    assert [i.key for i in check_values(fw, {"5a": "abc"})["5a"]] == ["not_a_number"]
    assert [i.key for i in check_values(fw, {"5a": -3})["5a"]] == ["out_of_range"]  # a count is ≥ 0
