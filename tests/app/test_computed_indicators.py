"""Issue 16 value constructs end to end: the officer's form, the stored rows, the recompute, the explanation.

Framework: tests/values_constructs_helpers.DOC (hand arithmetic in tests/unit/test_framework_values_constructs.py):
1c = [1a] / [1b] × 100, linear 50 → 100 % over 20 points; criterion 2 (2a 6 + 2b 4) may be N/A as a whole;
3 = 30 points at the region's target (north = provinces 01, 31: 70; else 60); 4 = 35 points at the kind's
target (ward 95, commune 90); 5 = [5a] / 20 points (max 5).
"""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from campaign.extensions import db
from campaign.models import Entry, IndicatorNode, IndicatorValue, ScoreRun, UnitResult
from tests.unit_helpers import confirm, lock_version
from tests.values_constructs_helpers import DOC

CODES = ["1a", "1b", "1c", "2", "2a", "2b", "3", "4", "5a", "5"]


@pytest.fixture
def world(factory):
    hanoi = factory.unit("city", name="Thành phố Hà Nội", code="01")
    ward = factory.unit("ward", parent=hanoi, name="Phường Điện Biên", code="00100")
    hcm = factory.unit("city", name="Thành phố Hồ Chí Minh", code="79")
    commune = factory.unit("commune", parent=hcm, name="Xã Bình Chánh", code="27595")
    factory.user("officer", unit=ward, username="canbo")
    factory.user("officer", unit=commune, username="canbo2")
    factory.user("admin", username="hoidong")
    campaign = factory.campaign(DOC, units=[ward, commune])
    db.session.commit()
    return {"campaign": campaign, "ward": ward, "commune": commune}


def open_entry(client, campaign_id) -> int:
    resp = client.get(f"/unit/campaigns/{campaign_id}/entry")
    return int(re.search(r"/unit/entries/(\d+)", resp.headers["Location"]).group(1))


def save(client, entry_id, values: dict, na=(), action="save"):
    data = {"codes": CODES, "action": action, "lock_version": lock_version(client, entry_id)}
    for code in CODES:
        data[f"v-{code}"] = values.get(code, "")
    for code in na:
        data[f"na-{code}"] = "y"
    return client.submit(f"/unit/entries/{entry_id}", data, content_type="multipart/form-data")


def rows(entry_id) -> dict:
    db.session.expire_all()
    return {code: iv for code, iv in db.session.execute(
        sa.select(IndicatorNode.code, IndicatorValue).join(IndicatorValue, IndicatorValue.indicator_id == IndicatorNode.id)
        .where(IndicatorValue.entry_id == entry_id)).all()}


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_officer_sees_the_formula_with_names_and_the_computed_value(client, world):
    client.login("canbo")
    entry_id = open_entry(client, world["campaign"].id)
    html = client.get(f"/unit/entries/{entry_id}").get_data(as_text=True)
    assert 'name="v-1c"' not in html  # nothing to type: computed
    formula = re.search(r'data-testid="formula-1c">(.*?)</p>', html, re.S).group(1)
    assert ("Tự động tính: [1a] Số tuyên truyền viên được tập huấn / [1b] Tổng số tuyên truyền viên × 100 = –"
            in text(formula))
    assert save(client, entry_id, {"1a": "45", "1b": "50", "5a": "130"}).status_code == 303
    html = client.get(f"/unit/entries/{entry_id}").get_data(as_text=True)
    assert re.search(r'data-testid="computed-1c">90,00</strong>', html)
    assert re.search(r'data-testid="pts-1c"[^>]*>16,00<', html)  # (90 - 50) / 50 × 20
    assert re.search(r'data-testid="computed-5">6,50</strong>', html)  # 130 / 20
    assert re.search(r'data-testid="pts-5"[^>]*>5,00<', html)  # capped at the maximum 5


def test_computed_value_is_stored_like_a_typed_one_and_follows_its_operands(client, world):
    client.login("canbo")
    entry_id = open_entry(client, world["campaign"].id)
    save(client, entry_id, {"1a": "45", "1b": "50"})
    r = rows(entry_id)
    assert (r["1c"].raw, r["1c"].value_num, r["1c"].points) == ("90", 90.0, 16.0)
    save(client, entry_id, {"1a": "30", "1b": "50"})  # 60 % → (60 - 50) / 50 × 20 = 4
    r = rows(entry_id)
    assert (r["1c"].value_num, r["1c"].points) == (60.0, 4.0)
    assert db.session.get(Entry, entry_id).self_total == 4


def test_a_value_posted_for_a_computed_indicator_is_ignored(client, world):
    client.login("canbo")
    entry_id = open_entry(client, world["campaign"].id)
    save(client, entry_id, {"1a": "30", "1b": "50", "1c": "100"})
    assert rows(entry_id)["1c"].value_num == 60.0


def test_division_by_zero_is_explained_next_to_the_field(client, world):
    client.login("canbo")
    entry_id = open_entry(client, world["campaign"].id)
    save(client, entry_id, {"1a": "45", "1b": "50"})
    resp = save(client, entry_id, {"1a": "3", "1b": "0"})
    assert resp.status_code == 422  # saved as a draft, with the message
    html = resp.get_data(as_text=True)
    box = re.search(r'data-testid="error-1c"[^>]*>(.*?)</div>\s*<div class="files"', html, re.S).group(1)
    assert "Không tính được: [1b] bằng 0 (phép chia cho 0)." in box
    r = rows(entry_id)
    assert r["1c"].raw is None and r["1c"].value_num is None and r["1c"].points == 0


def test_criterion_marked_not_applicable_once_covers_its_sub_items(client, world):
    client.login("canbo")
    entry_id = open_entry(client, world["campaign"].id)
    html = client.get(f"/unit/entries/{entry_id}").get_data(as_text=True)
    assert 'data-testid="na-2"' in html and "Cả tiêu chí không áp dụng" in html
    assert 'name="na-2a"' not in html  # a sub-item alone cannot be N/A
    save(client, entry_id, {"2a": "no", "2b": "no"}, na=("2",))
    r = rows(entry_id)
    assert r["2"].is_na and r["2"].points is None
    assert (r["2a"].is_na, r["2a"].points, r["2b"].is_na, r["2b"].points) == (True, 6.0, True, 4.0)
    assert r["2a"].raw == "no"  # what was typed is kept
    assert db.session.get(Entry, entry_id).self_total == 10
    html = client.get(f"/unit/entries/{entry_id}").get_data(as_text=True)
    assert re.search(r'data-testid="na-2"[^>]*checked', html) or re.search(r'checked[^>]*data-testid="na-2"', html)
    assert 'data-testid="na-by-part-2a"' in html and "không áp dụng (cả tiêu chí)" in html
    assert re.search(r'data-testid="pts-2a"[^>]*>6,00<', html)
    save(client, entry_id, {"2a": "yes", "2b": "no"})  # un-marked: the sub-items score their own values
    r = rows(entry_id)
    assert not r["2"].is_na and (r["2a"].is_na, r["2a"].points, r["2b"].points) == (False, 6.0, 0.0)
    assert db.session.get(Entry, entry_id).self_total == 6


def test_unit_dependent_targets_at_save_and_in_the_recompute(client, world):
    from campaign.services.results import recompute
    cid = world["campaign"].id
    values = {"1a": "45", "1b": "50", "2a": "yes", "2b": "yes", "3": "65", "4": "92", "5a": "60"}
    totals = {}
    for user, unit in (("canbo", "ward"), ("canbo2", "commune")):
        client.login(user)
        entry_id = open_entry(client, cid)
        save(client, entry_id, values)
        resp = save(client, entry_id, values, action="submit")
        assert resp.status_code == 200, resp.status_code  # the confirmation step
        assert confirm(client, entry_id, resp).status_code == 303
        totals[unit] = db.session.get(Entry, entry_id).self_total
        client.post("/logout")
    # ward in Hà Nội (north): 16 + 10 + 0 (65 < 70) + 0 (92 < 95) + 3 = 29
    # commune in Hồ Chí Minh City: 16 + 10 + 30 (65 ≥ 60) + 35 (92 ≥ 90) + 3 = 94
    assert totals == {"ward": 29, "commune": 94}
    for force in (True, False):
        recompute.recompute_provisional(cid, force=force)
        run = db.session.scalar(sa.select(ScoreRun).where(ScoreRun.campaign_id == cid, ScoreRun.kind == "provisional"))
        got = dict(db.session.execute(sa.select(UnitResult.unit_id, UnitResult.total)
                                      .where(UnitResult.run_id == run.id)).all())
        assert got == {world["ward"].id: 29, world["commune"].id: 94}
    # the ledger (rows rewritten entry by entry, as each change does) and the raw tables agree
    import numpy as np

    from campaign.services.results import ledger
    from campaign.services.results.inputs import load_inputs
    from scoring.campaign import compute_campaign
    ledger.refresh_entries(cid, list(db.session.scalars(sa.select(Entry.id).where(Entry.campaign_id == cid))))
    db.session.commit()
    raw, led = load_inputs(cid, from_raw=True), load_inputs(cid, from_raw=False)
    assert np.array_equal(raw.sub.points, led.sub.points)
    by_unit = {r["unit_id"]: r["total"] for r in compute_campaign(led.engine).rows}
    assert by_unit == {world["ward"].id: 29, world["commune"].id: 94}
    from campaign.services.judging import council  # the council's page re-scores the stored values
    finals = {row["entry"].unit_id: (row["self_total"], row["final"]) for row in council.overview(cid)}
    assert finals == {world["ward"].id: (29, 29), world["commune"].id: (94, 94)}


def test_explanation_page_shows_formula_na_criterion_and_threshold(client, world):
    from campaign.services.results import recompute
    cid = world["campaign"].id
    client.login("canbo")
    entry_id = open_entry(client, cid)
    values = {"1a": "45", "1b": "50", "3": "65", "4": "92", "5a": "60"}
    save(client, entry_id, values, na=("2",))
    assert confirm(client, entry_id, save(client, entry_id, values, na=("2",), action="submit")).status_code == 303
    client.post("/logout")
    recompute.recompute_provisional(cid, force=True)
    run = db.session.scalar(sa.select(ScoreRun).where(ScoreRun.campaign_id == cid, ScoreRun.kind == "provisional"))
    client.login("hoidong")
    data = client.get(f"/admin/results/{cid}/runs/{run.id}/units/{world['ward'].id}?format=json").get_json()
    by = {i["code"]: i for i in data["indicators"]}
    assert by["1c"]["basis"]["formula"] == "[1a] / [1b] * 100" and by["1c"]["points"] == 16
    assert by["2a"]["basis"] == {"na_part": "2"} and by["2a"]["points"] == 6
    assert by["4"]["basis"]["thresholds"] == [{"param": "target", "by": "unit_kind", "key": "ward", "value": 95.0}]
    assert by["4"]["points"] == 0  # 92 < the ward's 95
    assert data["total"] == 29  # 16 + 10 + 0 + 0 + 3


def _sheet(client, entry_id):
    import io

    from openpyxl import load_workbook
    resp = client.get(f"/unit/entries/{entry_id}/xlsx")
    assert resp.status_code == 200
    return load_workbook(io.BytesIO(resp.data))


def _row(ws, code):
    return next(r for r in range(2, ws.max_row + 1) if ws.cell(row=r, column=3).value == code)


def test_blank_xlsx_shows_the_formula_the_computed_value_and_the_criterion_na_row(client, world):
    client.login("canbo")
    entry_id = open_entry(client, world["campaign"].id)
    ws = _sheet(client, entry_id)["Giá trị"]
    codes = [ws.cell(row=r, column=3).value for r in range(2, ws.max_row + 1)]
    assert codes == CODES  # the criterion's own row comes before its sub-items
    r = _row(ws, "1c")
    assert ws.cell(row=r, column=5).value == ("tự động tính = [1a] Số tuyên truyền viên được tập huấn / "
                                               "[1b] Tổng số tuyên truyền viên × 100")
    assert ws.cell(row=r, column=7).protection.locked  # not typed
    r2 = _row(ws, "2")
    assert ws.cell(row=r2, column=5).value == "cả tiêu chí: chỉ đánh dấu Không áp dụng (x)"
    assert not ws.cell(row=r2, column=8).protection.locked and ws.cell(row=r2, column=7).protection.locked
    save(client, entry_id, {"1a": "45", "1b": "50"})
    ws = _sheet(client, entry_id)["Giá trị"]
    assert ws.cell(row=_row(ws, "1c"), column=7).value == "90"


def test_xlsx_import_marks_a_criterion_na_and_refuses_a_typed_computed_value(client, world):
    import io
    client.login("canbo")
    entry_id = open_entry(client, world["campaign"].id)
    wb = _sheet(client, entry_id)
    ws = wb["Giá trị"]
    ws.cell(row=_row(ws, "1a"), column=7).value = "45"
    ws.cell(row=_row(ws, "1b"), column=7).value = "50"
    ws.cell(row=_row(ws, "1c"), column=7).value = "100"
    ws.cell(row=_row(ws, "2"), column=8).value = "x"
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    resp = client.submit(f"/unit/entries/{entry_id}/xlsx", {"workbook": (buf, "gia-tri.xlsx")},
                         page=f"/unit/entries/{entry_id}", content_type="multipart/form-data")
    html = text(resp.get_data(as_text=True))
    assert "Giá trị của chỉ tiêu này do hệ thống tính theo công thức; không nhập được." in html
    r = rows(entry_id)
    assert r["2"].is_na and r["2a"].is_na and r["2a"].points == 6 and r["2b"].points == 4
    assert r["1c"].value_num == 90 and r["1c"].points == 16  # computed from the imported counts


def test_explanation_html_says_how_each_value_came_about(client, world):
    from campaign.services.results import recompute
    cid = world["campaign"].id
    client.login("canbo")
    entry_id = open_entry(client, cid)
    values = {"1a": "45", "1b": "50", "3": "65", "4": "92", "5a": "60"}
    assert confirm(client, entry_id, save(client, entry_id, values, na=("2",), action="submit")).status_code == 303
    client.post("/logout")
    recompute.recompute_provisional(cid, force=True)
    run = db.session.scalar(sa.select(ScoreRun).where(ScoreRun.campaign_id == cid, ScoreRun.kind == "provisional"))
    client.login("hoidong")
    html = client.get(f"/admin/results/{cid}/runs/{run.id}/units/{world['ward'].id}").get_data(as_text=True)
    basis = {m.group(1): text(m.group(2)).strip() for m in
             re.finditer(r'data-testid="basis-([^"]+)">(.*?)</div>', html, re.S)}
    assert basis["1c"] == "Tự động tính: [1a] / [1b] * 100 = 90 %"  # as the value column shows it (90 %), not 90,00
    assert basis["2a"] == "Cả tiêu chí 2 không áp dụng"
    assert basis["4"] == "Mức chuẩn theo đơn vị (ward): 95,00"
    assert basis["3"] == "Mức chuẩn theo đơn vị (north): 70,00"


@pytest.mark.slow
def test_demo_indicator_6_2_is_computed_from_the_workers(app):
    """Issue 12: officers no longer divide workers by 20 by hand; the demo's stored 6.2 is 6.2a ÷ 20."""
    from campaign.demo import load
    from campaign.models import Campaign
    load()
    cid = db.session.scalar(sa.select(Campaign.id).where(Campaign.slug == "van-minh-do-thi-2018"))
    got = {}
    for eid, code, iv in db.session.execute(
            sa.select(IndicatorValue.entry_id, IndicatorNode.code, IndicatorValue)
            .join(IndicatorNode, IndicatorNode.id == IndicatorValue.indicator_id)
            .join(Entry, Entry.id == IndicatorValue.entry_id)
            .where(Entry.campaign_id == cid, IndicatorNode.code.in_(["6.2", "6.2a"]))).all():
        got.setdefault(eid, {})[code] = iv
    pairs = [(v["6.2a"].value_num, v["6.2"].value_num, v["6.2"].points) for v in got.values() if "6.2" in v]
    assert len(pairs) > 10
    for workers, value, points in pairs:
        assert value == workers / 20 and points == min(workers / 20, 5)
    # NTM 4.2 (electricity) reads the region: every demo unit is in Hà Nội (ĐBSH), target 99 % not 98 %
    ntm = db.session.scalar(sa.select(Campaign.id).where(Campaign.slug == "nong-thon-moi-2018"))
    stored = db.session.execute(
        sa.select(IndicatorValue.value_num, IndicatorValue.points)
        .join(IndicatorNode, IndicatorNode.id == IndicatorValue.indicator_id)
        .join(Entry, Entry.id == IndicatorValue.entry_id)
        .where(Entry.campaign_id == ntm, IndicatorNode.code == "4.2", IndicatorValue.is_na.is_(False))).all()
    assert stored and all(p == (3 if v >= 99 else 0) for v, p in stored)


def test_officer_form_and_xlsx_show_the_units_own_target(client, world):
    client.login("canbo")  # a ward in Hà Nội (region north)
    entry_id = open_entry(client, world["campaign"].id)
    html = client.get(f"/unit/entries/{entry_id}").get_data(as_text=True)
    shown = {m.group(1): text(m.group(2)).strip()
             for m in re.finditer(r'data-testid="threshold-([^"]+)">(.*?)</p>', html, re.S)}
    assert shown == {"3": "Mức chuẩn áp dụng cho đơn vị (Miền Bắc): 70,00",
                     "4": "Mức chuẩn áp dụng cho đơn vị (Phường): 95,00"}
    ws = _sheet(client, entry_id)["Giá trị"]
    assert ws.cell(row=_row(ws, "4"), column=5).value == "tỷ lệ % (0–100); mức chuẩn của đơn vị: 95 (Phường)"
    client.post("/logout")
    client.login("canbo2")  # a commune in Hồ Chí Minh City: the table's commune value, the region default
    html = client.get(f"/unit/entries/{open_entry(client, world['campaign'].id)}").get_data(as_text=True)
    assert "Mức chuẩn áp dụng cho đơn vị (Xã): 90,00" in text(html)
    assert "Mức chuẩn áp dụng cho đơn vị (mặc định): 60,00" in text(html)


def test_framework_file_export_import_export_is_byte_identical(app):
    from campaign.services.setup import framework_io
    for fmt, name in (("yaml", "f.yaml"), ("json", "f.json")):
        once = framework_io.dumps(DOC, fmt)
        again = framework_io.dumps(framework_io.loads(once, name), fmt)
        assert once == again
        assert "[1a] / [1b] * 100" in once and "north" in once and "na_allowed" in once


def test_judge_sees_the_rule_points_with_the_units_own_target(client, world, factory):
    """A judge's empty field stands for the rule's points: they must be the unit's (ward: 92 < 95 → 0), not 35."""
    from campaign.models import Assignment
    from campaign.services.judging import workspace
    client.login("canbo")
    entry_id = open_entry(client, world["campaign"].id)
    values = {"1a": "45", "1b": "50", "3": "65", "4": "92", "5a": "60"}
    assert confirm(client, entry_id, save(client, entry_id, values, na=("2",), action="submit")).status_code == 303
    judge = factory.user("judge", username="gk-p")
    db.session.add(Assignment(entry_id=entry_id, judge_id=judge.id))
    db.session.commit()
    with app_request(client):
        view = workspace.entry_view(judge.id, entry_id)
        computed = {i["code"]: i["computed"] for g in view["groups"] for i in g["indicators"]}
        assert (computed["4"], computed["3"], computed["1c"], computed["2a"]) == (0, 0, 16, 6)
        assert workspace.submission_summary(judge.id, entry_id)["total"] == 29


def app_request(client):
    from flask import current_app
    return current_app.test_request_context("/")


def test_clarification_on_a_computed_value_opens_its_operands(client, world):
    from campaign.models import User
    from campaign.services.submissions.entries import request_clarification
    client.login("canbo")
    entry_id = open_entry(client, world["campaign"].id)
    values = {"1a": "45", "1b": "50", "3": "65", "4": "92", "5a": "60"}
    assert confirm(client, entry_id, save(client, entry_id, values, action="submit")).status_code == 303
    admin = db.session.scalar(sa.select(User).where(User.username == "hoidong"))
    request_clarification(entry_id, admin, ["1c"], "Số liệu tập huấn chưa khớp báo cáo.")
    html = client.get(f"/unit/entries/{entry_id}").get_data(as_text=True)
    assert re.search(r'<input[^>]*name="v-1a"[^>]*>', html) and 'name="v-1a"' in html
    assert not re.search(r'<input[^>]*name="v-1a"[^>]*disabled', html)  # 1c is computed from 1a and 1b
    assert re.search(r'<input[^>]*name="v-3"[^>]*disabled', html)  # not asked: locked
    values["1a"] = "40"
    codes = ["1a", "1b", "1c"]
    data = {"codes": codes, "action": "save", "lock_version": lock_version(client, entry_id),
            "v-1a": "40", "v-1b": "50", "v-1c": ""}
    assert client.submit(f"/unit/entries/{entry_id}", data, content_type="multipart/form-data").status_code == 303
    r = rows(entry_id)
    assert r["1c"].value_num == 80 and r["1c"].points == 12  # (80 - 50) / 50 × 20


def test_live_preview_counts_and_shows_the_computed_value(client, world):
    client.login("canbo")
    entry_id = open_entry(client, world["campaign"].id)
    data = {"codes": CODES, "v-1a": "45", "v-1b": "50", "na-2": "y"}
    got = client.submit(f"/unit/entries/{entry_id}/preview", data, page=f"/unit/entries/{entry_id}").get_json()
    assert got["indicators"]["1c"]["computed"] == 90 and got["indicators"]["1c"]["points"] == 16
    assert got["indicators"]["2a"]["points"] == 6  # the criterion box, before saving
    assert got["completeness"]["filled"] == 5  # 1a, 1b, the computed 1c, and 2a, 2b under the N/A criterion
