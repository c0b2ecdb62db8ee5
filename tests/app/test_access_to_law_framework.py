"""The commune access-to-law table (Decision 25/2021/QĐ-TTg, Circular 09/2021/TT-BTP) imported through the
admin's framework import service and scored as the table says: its condition on disciplined officials, its
ratio of trained legal propagandists (a computed indicator), its "no legal documents to issue → 03 points"
(a criterion-level N/A) and its recognition rule (≥ 80 points, every criterion ≥ 50 %).

Every expected figure below is worked out by hand from tests/data/frameworks/commune-access-to-law.yaml.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from campaign.services.setup import framework_io
from scoring.band_specs import engine_bands
from scoring.conditions import effects
from scoring.entry import score_entry
from scoring.framework import parse_framework
from scoring.ranking import classify
from scoring.rules import NA
from tests.admin_helpers import request_ctx  # noqa: F401

pytestmark = pytest.mark.usefixtures("request_ctx")

FILE = Path(__file__).resolve().parents[1] / "data" / "frameworks" / "commune-access-to-law.yaml"


@pytest.fixture
def fw(app):
    """The table as the admin imports it: the YAML file through framework_io.import_framework."""
    version, created = framework_io.import_framework(FILE.read_bytes(), FILE.name)
    assert created and version.framework.code == "commune-access-to-law"
    return parse_framework(version.document)


def fw_doc() -> dict:
    return yaml.safe_load(FILE.read_text(encoding="utf-8"))


def _band(fw, s) -> str | None:
    """The unit's band under the table's own bands, after its conditions."""
    eff = effects(s.conditions)
    return classify(s.total, s.group_pcts(), engine_bands(fw.bands), criteria_met=s.criteria[0],
                    withheld=eff.withhold)


# Xã An: a good year. Typed values only (no N/A on criterion 1).
AN = {
    "1.1a": True, "1.1b": True, "1.2": True, "1.3": False,                      # TC1: 1.5 + 1.5 + 3 + 0 = 6
    "2.1": True, "2.2": 100, "2.3": True, "2.4": True,                          # 4 + 3 + 3 + 3
    "2.5a": 18, "2.5b": 24,                                                     # 18 / 24 × 100 = 75 % → band "from 70" = 3
    "2.6": True, "2.7": True, "2.8": False, "2.9": True,                        # 3 + 3 + 0 + 4 → TC2 = 26
    "3.1": 100, "3.2": 65, "3.3": True, "3.4": True,                            # 5 + (65−50)/(80−50)×5 = 2.5 + 5 + 5 = 17.5
    "4.1": True, "4.2": True, "4.3": True, "4.4": True,                         # TC4 = 20
    # TC5: (95−90)/(100−90)×6 = 3, + 4, + 6 (5.3 N/A = full points), + 0 (5.4 is the condition), + 4 = 17
    "5.1": 95, "5.2": True, "5.3": NA, "5.4": True, "5.5": True,
}
# Total 6 + 26 + 17.5 + 20 + 17 = 86.5; criteria 60 %, 86.67 %, 87.5 %, 100 %, 85 % — all ≥ 50 % → recognised.


def test_imported_table_has_its_shape(fw):
    indicators = list(fw.indicators())
    assert len(indicators) >= 20 and len(indicators) == 28
    assert [g.code for g in fw.groups] == ["TC1", "TC2", "TC3", "TC4", "TC5"]
    assert [g.max_points for g in fw.groups] == [10, 30, 20, 20, 20] and fw.scale == 100
    assert fw.node("1.1").na_allowed and fw.node("1.1").max_points == 3          # "được tính 03 điểm"
    assert fw.node("2.5c").compute.expr == "[2.5a] / [2.5b] * 100" and fw.node("2.5c").compute.if_zero == 0
    assert [c.code for c in fw.conditions] == ["DK1"]


def test_a_good_commune_scores_as_the_table_says_and_is_recognised(fw):
    s = score_entry(fw, AN)
    pts = {c: s.groups[c].points for c in ("TC1", "TC2", "TC3", "TC4", "TC5")}
    assert pts == {"TC1": 6, "TC2": 26, "TC3": 17.5, "TC4": 20, "TC5": 17}
    assert s.total == 86.5
    ratio = s.indicators["2.5c"]
    assert (ratio.value, ratio.points) == (75, 3)
    assert ratio.basis["formula"] == "[2.5a] / [2.5b] * 100" and ratio.basis["computed"] == 75
    assert s.indicators["3.2"].points == 2.5 and s.indicators["5.1"].points == 3
    assert s.indicators["5.3"].points == 6                                       # leaf N/A = full points
    assert [c.met for c in s.conditions] == [True]
    assert _band(fw, s) == "dat_chuan"


def test_a_disciplined_official_withholds_recognition_but_not_the_score(fw):
    s = score_entry(fw, {**AN, "5.4": False})
    assert s.total == 86.5                                                       # the score is still shown whole
    (dk1,) = s.conditions
    assert dk1.code == "DK1" and not dk1.met
    assert _band(fw, s) is None                                                  # withheld: no band at all
    missing = score_entry(fw, {k: v for k, v in AN.items() if k != "5.4"})
    assert not missing.conditions[0].met and missing.conditions[0].missing == ("5.4",)
    assert _band(fw, missing) is None                                            # no answer = condition not met


# Xã Cao: no task to issue legal documents (1.1 N/A as a whole) and no legal propagandist at all.
CAO = {
    "1.1": NA, "1.2": True, "1.3": True,                                       # TC1: 1.5 + 1.5 (N/A → full) + 3 + 4 = 10
    "2.1": True, "2.2": NA, "2.3": True, "2.4": False,                          # 4 + 3 + 3 + 0
    "2.5a": 0, "2.5b": 0,                                                       # 0 / 0: if_zero → 0 % → 0
    "2.6": True, "2.7": True, "2.8": True, "2.9": False,                        # 3 + 3 + 3 + 0 → TC2 = 19
    "3.1": 80, "3.2": 85, "3.3": True, "3.4": False,                            # 0 (target 100) + 5 + 5 + 0 = 10
    "4.1": True, "4.2": True, "4.3": False, "4.4": True,                        # 15
    "5.1": 100, "5.2": True, "5.3": 100, "5.4": True, "5.5": True,              # 6 + 4 + 6 + 0 + 4 = 20
}
# Total 10 + 19 + 10 + 15 + 20 = 74 < 80 → "Chưa đạt chuẩn".


def test_no_documents_to_issue_counts_three_points_once_for_the_whole_indicator(fw):
    s = score_entry(fw, CAO)
    assert s.groups["1.1"].points == 3 and s.groups["TC1"].points == 10
    for leaf in ("1.1a", "1.1b"):                                               # never typed, both full through 1.1
        assert s.indicators[leaf].points == 1.5 and s.indicators[leaf].basis["na_part"] == "1.1"
    # the same unit answering "no" to both sub-items instead gets 0 for the indicator
    typed = score_entry(fw, {**{k: v for k, v in CAO.items() if k != "1.1"}, "1.1a": False, "1.1b": False})
    assert typed.groups["1.1"].points == 0 and typed.total == 71


def test_ratio_with_no_propagandist_counts_zero_and_says_why(fw):
    s = score_entry(fw, CAO)
    ratio = s.indicators["2.5c"]
    assert ratio.points == 0 and ratio.value == 0
    assert ratio.basis["reason"] == "division_by_zero" and ratio.basis["if_zero"] == 0
    # without the table's if_zero the ratio cannot be computed at all: no value, 0 points
    bare = parse_framework({**fw_doc(), "groups": [
        {**g, "children": [{**n, "children": [{**leaf, "compute": {"expr": leaf["compute"]["expr"]}}
                                               if leaf.get("code") == "2.5c" else leaf for leaf in n["children"]]}
                           if n.get("code") == "2.5" else n for n in g["children"]]} for g in fw_doc()["groups"]]})
    nothing = score_entry(bare, CAO).indicators["2.5c"]
    assert nothing.value is None and nothing.points == 0 and nothing.basis["reason"] == "division_by_zero"
    assert s.groups["TC2"].points == 19
    assert s.total == 74
    assert _band(fw, s) == "chua_dat"


def test_every_criterion_needs_half_its_points(fw):
    # Xã Đông: 85 points but criterion 3 only 25 % of its maximum.
    dong = {**CAO,
            "2.2": 100, "2.4": True, "2.5a": 10, "2.5b": 10, "2.9": True,       # TC2: 4+3+3+3+4(100 %)+3+3+3+4 = 30
            "3.1": 50, "3.2": 50, "3.3": True, "3.4": False,                    # TC3: 0 + 0 (at the floor) + 5 + 0 = 5
            "4.3": True}                                                        # TC4: 20
    s = score_entry(fw, dong)
    assert [s.groups[c].points for c in ("TC1", "TC2", "TC3", "TC4", "TC5")] == [10, 30, 5, 20, 20]
    assert s.total == 85
    assert s.group_pcts()["TC3"] == 25
    assert _band(fw, s) == "chua_dat"                                           # 85 ≥ 80, but TC3 25 % < 50 %
    # one more settled mediation case rate (3.2 = 80 % → 5 points) lifts TC3 to 50 %: recognised
    better = score_entry(fw, {**dong, "3.2": 80})
    assert better.groups["TC3"].points == 10 and better.total == 90
    assert _band(fw, better) == "dat_chuan"


# --------------------------------------------------------------------------- end to end: officer's save → results

def _posted(values: dict) -> dict:
    """What the officer's form posts: raw text per code, N/A ticked."""
    def raw(v):
        return "yes" if v is True else "no" if v is False else str(v)
    return {c: ({"raw": "", "na": True} if v is NA else {"raw": raw(v), "na": False}) for c, v in values.items()}


def test_saved_through_the_officers_service_the_results_and_the_public_page_say_the_same(app, client, factory):
    import re

    import sqlalchemy as sa

    from campaign.extensions import db
    from campaign.models import Entry, IndicatorNode, IndicatorValue, ScoreRun, UnitResult
    from campaign.services.results import publishing, recompute
    from campaign.services.submissions import entries

    version, _created = framework_io.import_framework(FILE.read_bytes(), FILE.name)
    doc = version.document
    units = {k: factory.unit(kind="commune", name=f"Xã {k}") for k in ("An", "Bình", "Cao")}
    c = factory.campaign(doc=doc, units=list(units.values()), status="open", slug="tiep-can-phap-luat",
                         settings={"bands": doc["bands"]})
    values = {"An": AN, "Bình": {**AN, "5.4": False}, "Cao": CAO}
    for k, u in units.items():
        officer = factory.user("officer", unit=u)
        e = factory.entry(c, u, status="draft")
        out = entries.save_values(e.id, officer, _posted(values[k]), None)
        assert not out["refused"], out
        try:
            entries.submit(e.id, officer)
        except entries.InvalidEntry as exc:
            raise AssertionError((k, exc.errors)) from exc
    db.session.commit()

    def points(unit, code):
        return db.session.scalar(sa.select(IndicatorValue.points).join(Entry).join(
            IndicatorNode, IndicatorNode.id == IndicatorValue.indicator_id).where(
            Entry.unit_id == unit.id, Entry.campaign_id == c.id, IndicatorNode.code == code))

    assert points(units["An"], "2.5c") == 3            # 18 / 24 × 100 = 75 %, computed when the officer saved
    assert points(units["Cao"], "1.1a") == 1.5         # 1.1 marked N/A as a whole: each sub-item full
    assert points(units["Cao"], "2.5c") == 0           # 0 / 0: if_zero 0 %

    recompute.recompute_provisional(c.id, force=True)
    rows = {r.unit_id: r for r in db.session.scalars(sa.select(UnitResult).join(ScoreRun).where(
        ScoreRun.campaign_id == c.id, ScoreRun.kind == "provisional"))}
    got = {k: (rows[u.id].total, rows[u.id].band) for k, u in units.items()}
    assert got == {"An": (86.5, "dat_chuan"), "Bình": (86.5, None), "Cao": (74.0, "chua_dat")}

    admin = factory.user("admin")
    publishing.publish(c.id, admin.id)
    db.session.commit()
    html = client.get(f"/leaderboard/unit/{units['Bình'].code}?campaign={c.slug}",
                      headers={"Accept-Language": "vi"}).get_data(as_text=True)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    assert "Không được công nhận: chưa đạt điều kiện DK1 – Trong năm không có cán bộ, công chức cấp xã" in text
    assert "86,50" in text                              # the score is still shown
