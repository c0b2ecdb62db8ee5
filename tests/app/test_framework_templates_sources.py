"""The shipped templates say what their sources say (issue 16, "The shipped templates, checked against their
sources"). Each test pins facts checked against a named document; the rest of a template is an assumption and
the template says so in its ``assumptions``.

- ntm-2016: Decision 1980/QĐ-TTg (17 Oct 2016), national criteria for new-style rural communes 2016–2020.
- civilized-urban: Decision 04/2022/QĐ-TTg (18 Feb 2022), criteria for civilized urban wards and townships.
- mass-mobilization-2018: the 1,000-point frame (950 content + 50 bonus) of Thừa Thiên Huế Guidance 804/HD-SNV.
"""
from __future__ import annotations

import pytest

from campaign.services.errors import DomainError
from campaign.services.setup import framework_io
from scoring.band_specs import engine_bands
from scoring.conditions import effects
from scoring.entry import score_entry
from scoring.framework import parse_framework
from scoring.ranking import classify
from scoring.unit_params import UnitContext
from tests.admin_helpers import request_ctx  # noqa: F401


def _fw(code: str):
    return parse_framework(framework_io.template_doc(code))


# --------------------------------------------------------------------------- ntm-2016 / Decision 1980/QĐ-TTg

# Indicators (chỉ tiêu) per criterion in the decision's table.
NTM_INDICATORS = {"1": 2, "2": 4, "3": 2, "4": 2, "5": 1, "6": 3, "7": 1, "8": 4, "9": 2, "10": 1, "11": 1,
                  "12": 1, "13": 2, "14": 3, "15": 3, "16": 1, "17": 8, "18": 6, "19": 2}
NTM_GROUPS = {"I": ["1"], "II": ["2", "3", "4", "5", "6", "7", "8", "9"], "III": ["10", "11", "12", "13"],
              "IV": ["14", "15", "16", "17"], "V": ["18", "19"]}


def test_ntm_has_the_decisions_19_criteria_in_its_5_groups_with_their_indicator_counts():
    fw = _fw("ntm-2016")
    assert {g.code: [c.code for c in g.children] for g in fw.groups} == NTM_GROUPS
    counts = {c: len(fw.node(c).children) for c in NTM_INDICATORS}
    assert counts == NTM_INDICATORS
    # the indicators are numbered as in the decision: 2.1–2.4, 17.1–17.8
    assert [n.code for n in fw.node("2").children] == ["2.1", "2.2", "2.3", "2.4"]
    assert [n.code for n in fw.node("17").children] == [f"17.{i}" for i in range(1, 9)]


def test_ntm_transport_has_its_four_roads():
    fw = _fw("ntm-2016")
    names = [fw.node(f"2.{i}").name["vi"] for i in range(1, 5)]
    assert "nhựa hóa hoặc bê tông hóa" in names[0] and "đường huyện" in names[0]
    assert "liên thôn" in names[1] and "cứng hóa" in names[1]
    assert "ngõ, xóm" in names[2] and "lầy lội" in names[2]
    assert "nội đồng" in names[3]


def test_ntm_water_is_95_hygienic_of_which_60_clean():
    fw = _fw("ntm-2016")
    water = fw.node("17.1")
    assert [c.code for c in water.children] == ["17.1a", "17.1b"]
    hyg, clean = fw.node("17.1a").rule, fw.node("17.1b").rule
    assert (hyg.target, hyg.dir) == (95.0, "higher") and (clean.target, clean.dir) == (60.0, "higher")
    assert "hợp vệ sinh" in fw.node("17.1a").name["vi"] and "nước sạch" in fw.node("17.1b").name["vi"]
    # 95 % hygienic and 60 % clean: all of 17.1 (0.5 + 0.5)
    assert score_entry(fw, {"17.1a": 95, "17.1b": 60}).groups["17.1"].points == 1
    # 98 % hygienic but only 50 % clean: 0.5 + (50 − 40) / (60 − 40) × 0.5 = 0.75 — a single 98 % no longer suffices
    assert score_entry(fw, {"17.1a": 98, "17.1b": 50}).groups["17.1"].points == 0.75
    # 87.5 % hygienic, 60 % clean: (87.5 − 80) / (95 − 80) × 0.5 + 0.5 = 0.75
    assert score_entry(fw, {"17.1a": 87.5, "17.1b": 60}).groups["17.1"].points == 0.75


def test_ntm_food_safety_is_17_8_and_must_be_100_percent():
    fw = _fw("ntm-2016")
    food = fw.node("17.8")
    assert "an toàn thực phẩm" in food.name["vi"]
    assert (food.rule.kind, food.rule.target, food.rule.dir) == ("target", 100.0, "higher")
    assert "Mai táng" in fw.node("17.4").name["vi"]
    assert "3 sạch" in fw.node("17.6").name["vi"] and fw.node("17.6").rule.target == 85
    assert "chăn nuôi" in fw.node("17.7").name["vi"]


def test_ntm_confirmed_thresholds():
    fw = _fw("ntm-2016")
    assert (fw.node("15.1").rule.target, fw.node("15.1").rule.dir) == (85.0, "higher")       # BHYT, every region
    assert (fw.node("11.1").rule.target, fw.node("11.1").rule.dir) == (6.0, "lower")         # poor households
    assert (fw.node("12.1").rule.target, fw.node("12.1").rule.dir) == (90.0, "higher")       # employment
    assert fw.node("9.2").rule.target == 80                                                  # standard housing
    assert fw.node("9.1").rule.target == 0 and fw.node("9.1").rule.dir == "lower"            # no temporary houses
    assert fw.node("3.1").rule.target == 80                                                  # irrigation, in its wording
    assert len(fw.node("18").children) == 6 and "tiếp cận pháp luật" in fw.node("18.5").name["vi"]


def test_ntm_regional_thresholds_follow_the_units_province():
    fw = _fw("ntm-2016")
    assert "01" in fw.regions[0].provinces and fw.regions[0].code == "dbsh"                # Hà Nội is in ĐBSH
    hanoi, ha_giang = UnitContext("commune", "01"), UnitContext("commune", "02")
    # stunting 15 %: ĐBSH floor 20, target 13.9 (lower is better) → (20 − 15) / (20 − 13.9) × 2 = 1.639… → 1.64;
    # the national target 21.8 is met → 2
    assert round(score_entry(fw, {"15.3": 15}, unit=hanoi).indicators["15.3"].points, 2) == 1.64
    assert score_entry(fw, {"15.3": 15}, unit=ha_giang).indicators["15.3"].points == 2
    # electricity 98.5 %: ĐBSH needs 99 → 0; the national 98 → 3; no unit known → the national figure
    s = score_entry(fw, {"4.2": 98.5}, unit=hanoi)
    assert s.indicators["4.2"].points == 0
    assert s.indicators["4.2"].basis["thresholds"] == [{"param": "target", "by": "region", "key": "dbsh", "value": 99}]
    assert score_entry(fw, {"4.2": 98.5}, unit=ha_giang).indicators["4.2"].points == 3
    assert score_entry(fw, {"4.2": 98.5}).indicators["4.2"].points == 3


def test_ntm_says_what_it_assumed():
    doc = framework_io.template_doc("ntm-2016")
    text = " ".join(a["en"] for a in doc["assumptions"])
    assert "1980/QĐ-TTg" in doc["source"]
    assert "17.1" in text and "95%" in text and "60%" in text and "not criterion 9" in text
    assert "Transport percentages are assumptions" in text


# --------------------------------------------------------------------------- civilized-urban / Decision 04/2022/QĐ-TTg

URBAN_CRITERIA = [
    "Quy hoạch đô thị", "Giao thông đô thị", "Môi trường và an toàn thực phẩm đô thị", "An ninh, trật tự đô thị",
    "Thông tin, truyền thông đô thị", "Việc làm, thu nhập bình quân, hộ nghèo ở đô thị", "Văn hóa, thể thao đô thị",
    "Y tế, giáo dục đô thị", "Hệ thống chính trị và trách nhiệm của chính quyền đô thị",
]


def test_civilized_urban_names_its_nine_criteria_as_the_decision_does():
    fw = _fw("civilized-urban")
    regular = [g for g in fw.groups if g.kind == "regular"]
    assert [g.name["vi"] for g in regular] == [f"Tiêu chí {i} – {n}" for i, n in enumerate(URBAN_CRITERIA, 1)]
    assert "04/2022/QĐ-TTg" in framework_io.template_doc("civilized-urban")["source"]


# A ward meeting every indicator (judged 2.2 and 7.2 at their top level), 95 % satisfied, registered.
WARD = {"1.1": True, "1.2": 0, "2.1": 100, "2.2": "tot", "3.1": 97, "3.2": True, "4.1": True, "4.2": 85,
        "5.1": True, "5.2": 100, "6.1": 1.0, "6.2a": 120, "7.1": 85, "7.2": "tot", "8.1": 92, "8.2": True,
        "9.1": True, "9.2": 95, "9.3": True}


def _urban_band(fw, values):
    s = score_entry(fw, values, judged={"2.2": 5, "7.2": 7})
    band = classify(s.total, s.group_pcts(), engine_bands(fw.bands), criteria_met=s.criteria[0],
                    withheld=effects(s.conditions).withhold)
    return s, band


def test_civilized_urban_recognition_needs_all_nine_criteria_and_90_percent_satisfied():
    fw = _fw("civilized-urban")
    (band,) = fw.bands
    assert band["code"] == "dat_chuan" and band["min_criteria_met"] == 9
    conds = {c.code: c for c in fw.conditions}
    dk1 = conds["DK1"]
    assert (dk1.effect, [(t.indicator, t.op, t.value) for t in dk1.tests]) == ("withhold", [("9.2", ">=", 90)])
    assert fw.node("9.2").max_points == 0                                       # a condition, not an indicator's points
    assert conds["DK2"].tests[0].indicator == "9.3" and fw.node("9.3").max_points == 0

    s, got = _urban_band(fw, WARD)
    assert (s.total, s.criteria[:2], got) == (100, (9, 9), "dat_chuan")
    # 89 % satisfied: the points stay 100, recognition is withheld by DK1
    s, got = _urban_band(fw, {**WARD, "9.2": 89})
    assert s.total == 100 and got is None
    assert [c.code for c in s.conditions if not c.met] == ["DK1"]
    # one criterion short of its full points (poor households 2 %, criterion 6): 8 of 9 met, no recognition
    s, got = _urban_band(fw, {**WARD, "6.1": 2.0})
    assert s.total == 95 and s.criteria[:2] == (8, 9) and s.criteria[2] == ("TC6",) and got is None


# --------------------------------------------------------------------------- mass-mobilization-2018 / 804/HD-SNV

def test_mass_mobilization_is_950_content_plus_50_bonus_and_says_what_is_sourced():
    fw = _fw("mass-mobilization-2018")
    assert fw.scale == 950 and fw.bonus_cap_total == 50 and fw.scale + fw.bonus_cap_total == 1000
    doc = framework_io.template_doc("mass-mobilization-2018")
    assert doc["source"].startswith("Sourced parts only:") and "804/HD-SNV" in doc["source"]
    assert "Everything else is an assumption" in doc["source"]
    assert any(a["en"].startswith("Why scale 950") for a in doc["assumptions"])
    # the 8-point deduction of the frame (VII.1)
    assert fw.node("VII.1").rule.kind == "penalty" and fw.node("VII.1").rule.per_item == 8


@pytest.mark.usefixtures("request_ctx")
def test_any_positive_scale_imports_and_zero_is_refused(app):
    doc = framework_io.template_doc("mass-mobilization-2018")
    version, _created = framework_io.import_framework(framework_io.dumps(doc).encode(), "mm.yaml")
    assert version.scale == 950
    with pytest.raises(DomainError, match="scale"):
        framework_io.import_framework(framework_io.dumps({**doc, "code": "mm-zero", "scale": 0}).encode(), "z.yaml")


# --------------------------------------------------------------------------- the checked templates travel intact

@pytest.mark.usefixtures("request_ctx")
@pytest.mark.parametrize("code", ["ntm-2016", "civilized-urban", "mass-mobilization-2018"])
def test_checked_templates_export_import_export_byte_identical_and_print_a_blank_table(app, code):
    import io

    import openpyxl

    text = framework_io.dumps(framework_io.template_doc(code))
    version, _created = framework_io.import_framework(text.encode(), f"{code}.yaml")
    exported, _name = framework_io.export_version(version.id, "yaml")
    assert exported == text                                                      # regions, conditions, bands kept
    ws = openpyxl.load_workbook(io.BytesIO(framework_io.blank_scoring_table(version.document))).active
    rows = {r[0]: r for r in ws.iter_rows(min_row=framework_io.XLSX_HEADER_ROW + 1, values_only=True) if r[0]}
    if code == "ntm-2016":
        assert {"2.4", "17.1a", "17.1b", "17.8"} <= set(rows) and rows["17.8"][2] == 1
    elif code == "civilized-urban":
        assert "Quy hoạch đô thị" in rows["TC1"][1] and rows["9.2"][2] == 0
    else:
        assert rows["VII.1"][2] == -8
