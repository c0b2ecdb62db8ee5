"""The commission's explanation page says what the cold walk of issue 18 found unsaid (follow-up).

A bonus cap names the cap and the points it removed; an indicator marked N/A with full marks says the
framework's N/A rule; the score interval is explained; a band with no minimum total (a ward standard:
all criteria met) never reads "≥ 0,00"; a tie reads as on the public board.
"""
from __future__ import annotations

import re
from html import unescape

import pytest

from campaign.extensions import db
from campaign.services.results import recompute
from scoring.rules import NA
from tests.results_helpers import judge, save_values


def _name(code: str) -> dict:
    return {"vi": f"Tên {code}", "en": f"Name {code}"}


def walk_framework(code: str) -> dict:
    """Two criteria (60 + 40; II.2 marked by judges) and a bonus group capped at 5 whose items can earn 5 + 6."""
    return {
        "format": "thidua-framework/1", "code": code, "scale": 100, "name": _name(code),
        "groups": [
            {"code": "I", "name": _name("I"), "kind": "regular", "max_points": 60, "children": [
                {"code": "I.1", "name": _name("I.1"), "max_points": 20, "value_type": "percentage",
                 "na_allowed": True, "rule": {"kind": "linear", "floor": 40, "target": 90}},
                {"code": "I.2", "name": _name("I.2"), "max_points": 40, "value_type": "number",
                 "rule": {"kind": "target", "target": 10}},
            ]},
            {"code": "II", "name": _name("II"), "kind": "regular", "max_points": 40, "children": [
                {"code": "II.1", "name": _name("II.1"), "max_points": 30, "value_type": "count",
                 "rule": {"kind": "count", "per_item": 10}},
                {"code": "II.2", "name": _name("II.2"), "max_points": 10, "value_type": "number",
                 "rule": {"kind": "manual"}},
            ]},
            {"code": "B", "name": {"vi": "Điểm thưởng", "en": "Bonus"}, "kind": "bonus", "max_points": 5, "children": [
                {"code": "B.1", "name": _name("B.1"), "max_points": 5, "value_type": "count",
                 "rule": {"kind": "bonus", "per_item": 2}},
                {"code": "B.2", "name": _name("B.2"), "max_points": 6, "value_type": "count",
                 "rule": {"kind": "bonus", "per_item": 3}},
            ]},
        ],
    }


def _text(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))).replace("\u00a0", " ")


def _testid(html: str, testid: str) -> str:
    m = re.search(rf'data-testid="{testid}"[^>]*>(.*?)</(?:div|p|td|ul)>', html, re.S)
    return _text(m.group(1)).strip() if m else ""


@pytest.fixture
def walk(client, factory):
    """Ward One: I.1 N/A (20), I.2 40, II.1 30, II.2 judged 8 and 10 (mean 9), bonus 4 + 6 = 10 capped at 5:
    104 in [103, 105]; II at 39/40 is not met, so 1 of 2 criteria (the standard needs both).
    Wards Two and Three: 20 + 40 + 30 + 10 + (2 + 3) = 105, tied first, both criteria met."""
    doc = walk_framework("fw-walk")
    wards = [factory.unit("ward", name=n) for n in ("Phường Một", "Phường Hai", "Phường Ba")]
    factory.user("admin", username="hd-walk")
    judges = [factory.user("judge") for _ in range(2)]
    bands = [{"code": "dat_chuan", "label": {"vi": "Đạt chuẩn", "en": "Meets the standard"}, "min_total": 0,
              "min_criteria_met": 2}]
    c = factory.campaign(doc=doc, units=wards, settings={"bands": bands, "show_intervals": True})
    values = [{"I.1": NA, "I.2": 10, "II.1": 3, "B.1": 2, "B.2": 2},
              {"I.1": 90, "I.2": 10, "II.1": 3, "B.1": 1, "B.2": 1},
              {"I.1": 90, "I.2": 10, "II.1": 3, "B.1": 1, "B.2": 1}]
    marks = [(8, 10), (10, 10), (10, 10)]
    for u, v, m in zip(wards, values, marks, strict=True):
        e = factory.entry(c, u, status="submitted")
        save_values(e, doc, v)
        for j, p in zip(judges, m, strict=True):
            judge(e, j, {"II.2": p})
    db.session.commit()
    recompute.recompute_provisional(c.id, force=True)
    run = recompute.provisional_run(c.id)
    client.login("hd-walk")
    return {"c": c, "run": run, "wards": wards}


def _explain(client, walk, i: int, lang: str = "vi") -> str:
    with client.c.session_transaction() as sess:
        sess["lang"] = lang
    w = walk["wards"][i]
    return client.get(f"/admin/results/{walk['c'].id}/runs/{walk['run'].id}/units/{w.id}").get_data(as_text=True)


def test_cap_says_which_cap_and_how_many_points_it_removed(client, walk):
    html = _explain(client, walk, 0)
    assert _testid(html, "explain-total") == "104,00"
    assert _testid(html, "explain-caps") == ("Đã áp trần Trần điểm thưởng của nhóm B (Điểm thưởng) là 5,00: các khoản "
                                             "thưởng cộng lại 10,00, chỉ tính 5,00 (trần đã bớt 5,00 điểm).")
    en = _explain(client, walk, 0, "en")
    assert _testid(en, "explain-caps") == ("Caps applied The bonus cap of group B (Bonus) is 5.00: the bonus items add up "
                                           "to 10.00, only 5.00 counts (the cap removed 5.00 points).")
    assert 'data-testid="explain-caps"' not in _explain(client, walk, 1)  # 2 + 3 = 5: under the cap, nothing said


def test_na_with_full_marks_says_the_frameworks_rule(client, walk):
    html = _explain(client, walk, 0)
    assert _testid(html, "na-note-I.1") == (
        "Theo quy định của khung, chỉ tiêu được phép đánh dấu không áp dụng được tính đủ điểm tối đa "
        "(20,00 điểm), để đơn vị không bị thiệt vì một việc không có ở địa phương.")
    assert "na-note-I.2" not in html and "na-note-I.1" not in _explain(client, walk, 1)
    en = _explain(client, walk, 0, "en")
    assert _testid(en, "na-note-I.1").startswith("Under the framework's rules, an indicator that may be "
                                                 "marked not applicable gets its full points (20.00 points)")


def test_interval_is_shown_and_explained(client, walk):
    html = _explain(client, walk, 0)
    assert _testid(html, "explain-interval") == "Khoảng điểm: 103,00 – 105,00"  # II.2 at 8, then at 10
    assert _testid(html, "explain-interval-note").startswith(
        "Khoảng điểm 103,00 – 105,00: tổng điểm khi mọi chỉ tiêu do giám khảo chấm lấy điểm thấp nhất, rồi cao nhất")
    assert _testid(_explain(client, walk, 0, "en"), "explain-interval") == "Score interval: 103.00 – 105.00"


def test_a_band_without_minimum_total_never_reads_greater_or_equal_zero(client, walk):
    html = _explain(client, walk, 0)
    reason = re.findall(r"<li>(.*?)</li>", re.search(r'data-testid="explain-band-reason">(.*?)</ul>', html, re.S).group(1))
    assert reason == ["Đạt 1/2 tiêu chí", "«Đạt chuẩn» không yêu cầu điểm tối thiểu, nhưng chỉ 1/2 tiêu chí đạt, cần 2"]
    en = _testid(_explain(client, walk, 0, "en"), "explain-band-reason")
    assert en == "1 of 2 criteria met “Meets the standard” needs no minimum total, but only 1 of 2 criteria met, 2 needed"
    # the public board's legend says the same: no "from 0.00 points"
    from campaign.band_reasons import floor_legend

    with client.application.test_request_context():
        assert floor_legend(walk["c"].settings["bands"], [], "vi") == [
            "Đạt chuẩn: không yêu cầu điểm tối thiểu; ít nhất 2 tiêu chí đạt"]


def test_a_tie_reads_the_same_here_and_on_the_commissions_table(client, walk):
    html = _explain(client, walk, 1)
    assert _testid(html, "explain-rank") == "1 đồng hạng"
    assert _testid(_explain(client, walk, 1, "en"), "explain-rank") == "1 tied"
    table = _text(client.get(f"/admin/results/{walk['c'].id}").get_data(as_text=True))
    assert "Phường Hai" in table and table.count("1 tied") == 2  # the session is English now
