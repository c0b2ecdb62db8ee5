"""Conditions (điều kiện) end to end, issue 16: a unit that fails one keeps its score and is shown why.

Three units of the table in tests/conditions_helpers.py, each 100 points (worked by hand):
A meets every condition (Xuất sắc), B had an official disciplined (DK1 withholds: no band),
C has 80 % residents satisfied (DK2 caps the band at Đạt).
"""
from __future__ import annotations

import re

import sqlalchemy as sa

from campaign.extensions import db
from campaign.models import Campaign, CampaignUnit, Cluster, Entry, ScoreRun, UnitResult
from campaign.services.results import publishing, recompute
from campaign.services.results.freshness import mark_stale
from campaign.services.setup import framework_io
from scoring.band_reasons import explain
from scoring.band_specs import engine_bands
from scoring.entry import score_entry
from scoring.framework import parse_framework
from tests.band_reasons_helpers import board_cells
from tests.conditions_helpers import BANDS, FULL, doc
from tests.results_helpers import save_values

VALUES = {"A": FULL, "B": {**FULL, "2.2": False}, "C": {**FULL, "2.3": 80.0}}


def _stored(values: dict) -> dict:
    return {k: (v == "yes" if v in ("yes", "no") else v) for k, v in values.items()}


def _campaign(factory):
    units = {k: factory.unit(name=f"Quận Điều Kiện {k}") for k in VALUES}
    d = doc()
    c = factory.campaign(doc=d, units=list(units.values()), status="appraisal", slug="dieu-kien",
                         settings={"bands": BANDS, "award_quota_pct": 100, "top_per_cluster": 3})
    cluster = Cluster(code="CUM-DK", name="Cụm điều kiện", campaign_id=c.id)
    db.session.add(cluster)
    db.session.flush()
    db.session.execute(sa.update(CampaignUnit).where(CampaignUnit.campaign_id == c.id).values(cluster_id=cluster.id))
    for k, u in units.items():
        e = factory.entry(c, u, status="submitted")
        save_values(e, d, _stored(VALUES[k]))
    db.session.commit()
    recompute.recompute_provisional(c.id, force=True)
    return c, units


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_recompute_bands_like_the_per_entry_engine_and_keeps_the_score(app, factory):
    c, units = _campaign(factory)
    rows = {r.unit_id: r for r in db.session.scalars(sa.select(UnitResult).join(ScoreRun).where(
        ScoreRun.campaign_id == c.id, ScoreRun.kind == "provisional"))}
    got = {k: (rows[u.id].total, rows[u.id].band) for k, u in units.items()}
    assert got == {"A": (100.0, "xuat_sac"), "B": (100.0, None), "C": (100.0, "dat")}
    fw = parse_framework(doc())
    for k, u in units.items():  # the per-entry engine, fed the same values, names the same band
        es = score_entry(fw, _stored(VALUES[k]))
        assert explain(es.total, es.group_pcts(), engine_bands(BANDS), {}, es.criteria[:2], es.conditions).band \
            == rows[u.id].band, k
    assert rows[units["B"].id].band_note["conditions"][0]["code"] == "DK1"
    assert rows[units["A"].id].award is not None and rows[units["B"].id].award is None


def test_public_unit_page_and_results_pages_show_the_failed_condition(app, client, factory):
    c, units = _campaign(factory)
    admin = factory.user("admin")
    publishing.publish(c.id, admin.id)
    db.session.commit()
    b = units["B"]
    page = _text(client.get(f"/leaderboard/unit/{b.code}?campaign={c.slug}", headers={"Accept-Language": "vi"})
                 .get_data(as_text=True))
    assert "Không được công nhận: chưa đạt điều kiện DK1 – Không có cán bộ bị kỷ luật" in page
    assert "Điểm vẫn được giữ nguyên: 100,00" in page
    board = client.get(f"/leaderboard?campaign={c.slug}").get_data(as_text=True)
    cells = board_cells(board)
    assert cells[b.code]["score"] == "100,00" and cells[b.code]["band"] in ("", "–")  # no band, score kept
    assert cells[b.code]["reason"] == "Không được công nhận: chưa đạt điều kiện DK1 – Không có cán bộ bị kỷ luật"
    api = {r["unit_code"]: r for r in client.get(f"/api/v1/campaigns/{c.slug}/leaderboard").get_json()["rows"]}
    assert [x["code"] for x in api[b.code]["band_reason"]["failed_conditions"]] == ["DK1"]
    assert api[b.code]["score"] == 100.0 and api[b.code]["band"] is None
    cp = _text(client.get(f"/leaderboard/unit/{units['C'].code}?campaign={c.slug}",
                          headers={"Accept-Language": "vi"}).get_data(as_text=True))
    assert "Xếp loại tối đa Đạt: chưa đạt điều kiện DK2 – Ít nhất 90 % người dân hài lòng" in cp
    with client.c.session_transaction() as sess:
        sess["lang"] = "en"
    en = _text(client.get(f"/leaderboard/unit/{b.code}?campaign={c.slug}").get_data(as_text=True))
    assert "Not recognised: condition DK1 – No official disciplined not met" in en

    with client.c.session_transaction() as sess:
        sess["lang"] = "vi"
    client.login(admin.username)
    results = _text(client.get(f"/admin/results/{c.id}").get_data(as_text=True))
    assert "Không được công nhận: chưa đạt điều kiện DK1" in results
    run = db.session.scalar(sa.select(ScoreRun.id).where(ScoreRun.campaign_id == c.id, ScoreRun.kind == "provisional"))
    expl = _text(client.get(f"/admin/results/{c.id}/runs/{run}/units/{b.id}").get_data(as_text=True))
    assert "Không được công nhận: chưa đạt điều kiện DK1" in expl
    assert "DK1 – Không có cán bộ bị kỷ luật: chưa đạt" in expl and "DK2 – Ít nhất 90 % người dân hài lòng: đạt" in expl


def test_a_changed_condition_value_moves_the_band_through_the_ledger_path(app, factory):
    """The condition's indicator carries 0 points: the ledger's sums do not move, the band must."""
    c, units = _campaign(factory)
    entry = db.session.scalar(sa.select(Entry).where(Entry.campaign_id == c.id, Entry.unit_id == units["B"].id))
    save_values(entry, doc(), {"2.2": True})  # the disciplinary case was annulled
    mark_stale(c.id, [entry.id])
    db.session.commit()
    out = recompute.recompute_provisional(c.id)
    assert out["inputs"] == "ledger" and out["status"] == "written"
    row = db.session.scalar(sa.select(UnitResult).join(ScoreRun).where(
        ScoreRun.campaign_id == c.id, ScoreRun.kind == "provisional", UnitResult.unit_id == units["B"].id))
    assert (row.total, row.band, row.band_note) == (100.0, "xuat_sac", None)


def _cli(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def test_create_campaign_takes_the_frameworks_bands_or_the_bands_flag(app, tmp_path, factory):
    factory.unit(code="001")
    db.session.commit()
    fw_file = tmp_path / "dk.yaml"
    with app.test_request_context():
        fw_file.write_text(framework_io.dumps(doc()), encoding="utf-8")
    r = _cli(app, "create-campaign", str(fw_file), "--name", "Điều kiện 2026", "--unit", "001")
    assert r.exit_code == 0, r.output
    assert "bands: xuat_sac ≥ 90, tot ≥ 70, dat ≥ 50" in r.output  # the framework's, not the four defaults
    c = db.session.scalar(sa.select(Campaign).where(Campaign.name == "Điều kiện 2026"))
    assert c.settings["bands"] == BANDS

    # --bands without the band a condition caps at: refused, naming the condition
    r = _cli(app, "create-campaign", str(fw_file), "--name", "Một mức", "--bands", "dat_chuan:50", "--unit", "001")
    assert r.exit_code != 0
    assert "Điều kiện DK2 giới hạn xếp loại ở mức “dat”, nhưng phong trào không có mức này." in r.output


def test_bands_flag_with_one_pass_mark_and_a_file(app, tmp_path, factory):
    factory.unit(code="002")
    db.session.commit()
    r = _cli(app, "create-campaign", "civilized-urban", "--name", "Một mức đạt", "--bands", "dat:50", "--unit", "002")
    assert r.exit_code == 0, r.output
    c = db.session.scalar(sa.select(Campaign).where(Campaign.name == "Một mức đạt"))
    assert c.settings["bands"] == [{"code": "dat", "min_total": 50}]
    bands_file = tmp_path / "bands.yaml"
    bands_file.write_text("- {code: xs, min_total: 90, floors: {TC1: 85}}\n- {code: dat, min_total: 50}\n", encoding="utf-8")
    r = _cli(app, "create-campaign", "civilized-urban", "--name", "Tệp mức", "--bands", str(bands_file), "--unit", "002")
    assert r.exit_code == 0, r.output
    r = _cli(app, "create-campaign", "civilized-urban", "--name", "Sai", "--bands", "dat", "--unit", "002")
    assert r.exit_code != 0 and "write code:min_total or code:min_total:floor_pct" in r.output
    r = _cli(app, "create-campaign", "civilized-urban", "--name", "Sai nhóm", "--bands",
             str(_write(tmp_path, "- {code: xs, min_total: 90, floors: {IX: 85}}\n")), "--unit", "002")
    assert r.exit_code != 0 and "Mức “xs” đặt mức sàn cho nhóm không có trong bảng chấm điểm: IX." in r.output


def _write(tmp_path, text: str):
    p = tmp_path / "b2.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def test_admin_form_keeps_per_band_floors_and_criteria_met(client, factory):
    from tests.admin_helpers import admin_client
    from tests.app.test_admin_campaigns import _districts, _form

    admin_client(client, factory)
    _districts(factory)
    r = client.submit("/admin/campaigns/new", _form(**{"bands-0-floors": "I:85, II:80", "bands-0-min_criteria_met": "6"}))
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    c = db.session.scalar(sa.select(Campaign))
    assert c.settings["bands"][0]["floors"] == {"I": 85.0, "II": 80.0}
    assert c.settings["bands"][0]["min_criteria_met"] == 6
    page = client.get(f"/admin/campaigns/{c.id}/edit").get_data(as_text=True)
    assert 'value="I:85, II:80"' in page and 'data-testid="band-criteria-0"' in page
    r = client.submit(f"/admin/campaigns/{c.id}/edit", _form(**{"bands-0-floors": "IX:85"}),
                      page=f"/admin/campaigns/{c.id}/edit")
    assert r.status_code == 400
    assert "Mức “xuat_sac” đặt mức sàn cho nhóm không có trong bảng chấm điểm: IX." in r.get_data(as_text=True)


def test_a_part_not_assessed_is_rescaled_through_the_officers_form_and_explained(client, factory):
    """The officer marks the survey (II) not applicable once: 54 of 60 → 90 on the 100 scale."""
    from tests.unit.test_rescale import doc as rescale_doc
    from tests.unit_helpers import confirm, lock_version

    ward = factory.unit("ward", name="Phường Quy Đổi")
    factory.user("officer", unit=ward, username="canbo-qd")
    factory.user("admin", username="hoidong-qd")
    c = factory.campaign(rescale_doc(), units=[ward])
    db.session.commit()
    client.login("canbo-qd")
    entry_id = int(re.search(r"/unit/entries/(\d+)",
                             client.get(f"/unit/campaigns/{c.id}/entry").headers["Location"]).group(1))
    codes = ["I.1", "I.2", "II", "II.1", "B.1"]
    form = _text(client.get(f"/unit/entries/{entry_id}").get_data(as_text=True))
    assert ("(phần này không được chấm: các chỉ tiêu con được 0 điểm và tổng điểm được quy về thang điểm 100)"
            in form)

    def post(action):
        data = {"codes": codes, "action": action, "lock_version": lock_version(client, entry_id),
                "v-I.1": "30", "v-I.2": "24", "v-II.1": "", "v-B.1": "", "na-II": "y"}
        return client.submit(f"/unit/entries/{entry_id}", data, content_type="multipart/form-data")

    post("save")
    assert confirm(client, entry_id, post("submit")).status_code == 303
    client.post("/logout")
    recompute.recompute_provisional(c.id, force=True)
    row = db.session.scalar(sa.select(UnitResult).join(ScoreRun).where(ScoreRun.campaign_id == c.id,
                                                                       UnitResult.unit_id == ward.id))
    assert (row.total, row.group_scores["II"]) == (90.0, 0.0)
    assert row.explanation["rescaled"]["parts"] == ["II"]
    client.login("hoidong-qd")
    page = _text(client.get(f"/admin/results/{c.id}/runs/{row.run_id}/units/{ward.id}").get_data(as_text=True))
    assert "Phần II không đánh giá: điểm được quy về thang điểm 100 (54,00 × 100 ÷ 60 = 90,00)." in page
    c.status, c.settings = "appraisal", {"bands": [{"code": "tot", "min_total": 80, "floor_pct": 70}]}
    db.session.commit()
    recompute.recompute_provisional(c.id, force=True)
    publishing.publish(c.id)
    db.session.commit()
    public = _text(client.get(f"/leaderboard/unit/{ward.code}?campaign={c.slug}").get_data(as_text=True))
    assert "Phần II không được đánh giá: phần này không tính điểm, tổng điểm được quy về thang điểm đầy đủ" in public
    assert "90,00 ≥ 80,00 (Tốt) và mọi nhóm tiêu chí đạt mức sàn của mức này" in public  # II's 0 % is not held against 70 %


def test_officers_form_and_blank_xlsx_state_the_conditions(client, factory):
    import io

    from openpyxl import load_workbook

    ward = factory.unit("ward", name="Phường Có Điều Kiện")
    factory.user("officer", unit=ward, username="canbo-dk")
    c = factory.campaign(doc(), units=[ward], settings={"bands": BANDS})
    db.session.commit()
    client.login("canbo-dk")
    entry_id = int(re.search(r"/unit/entries/(\d+)",
                             client.get(f"/unit/campaigns/{c.id}/entry").headers["Location"]).group(1))
    html = client.get(f"/unit/entries/{entry_id}").get_data(as_text=True)
    rule = re.search(r'data-testid="condition-2\.2">(.*?)</p>', html, re.S).group(1)
    assert _text(rule).strip() == ("Điều kiện DK1 – Không có cán bộ bị kỷ luật: 2.2 (Không có cán bộ bị kỷ luật từ cảnh "
                                   "cáo trở lên): “Có”; nếu chưa đạt: không được công nhận xếp loại và khen thưởng "
                                   "(điểm giữ nguyên)")
    rule = _text(re.search(r'data-testid="condition-2\.3">(.*?)</p>', html, re.S).group(1)).strip()
    assert rule.endswith("2.3 (Tỷ lệ người dân hài lòng) ≥ 90,00; nếu chưa đạt: xếp loại tối đa Đạt (điểm giữ nguyên)")
    assert 'data-testid="condition-1.2"' not in html  # no condition tests 1.2
    wb = load_workbook(io.BytesIO(client.get(f"/unit/entries/{entry_id}/xlsx").data))
    lines = [r[0] for r in wb["Điều kiện"].iter_rows(min_row=2, values_only=True)]
    assert [x.split(" – ")[0] for x in lines] == ["Điều kiện DK1", "Điều kiện DK2", "Điều kiện DK3"]
    assert "nếu chưa đạt: không được đề nghị khen thưởng" in lines[2]


def test_public_page_says_how_many_criteria_were_met_and_which_band_floor_failed(client, factory):
    from tests.unit.test_band_floors import BANDS as FLOOR_BANDS
    from tests.unit.test_band_floors import doc as floors_doc

    units = [factory.unit(name=f"Quận Sàn {k}") for k in "AB"]
    d = floors_doc()
    c = factory.campaign(doc=d, units=units, status="appraisal", slug="san-theo-muc", settings={"bands": FLOOR_BANDS})
    for u, values in zip(units, ({"I.1": 10, "II.1": 10, "III.1": 4}, {"I.1": 10, "II.1": 10, "III.1": 8, "B.1": 2}),
                         strict=True):
        save_values(factory.entry(c, u, status="submitted"), d, values)
    db.session.commit()
    recompute.recompute_provisional(c.id, force=True)
    publishing.publish(c.id, factory.user("admin").id)
    db.session.commit()
    a = _text(client.get(f"/leaderboard/unit/{units[0].code}?campaign={c.slug}").get_data(as_text=True))
    # 24 points: III at 40 % is under dat's 50 % floor; "chuan" needs 3 of 3 criteria, 2 are met
    # a band with no minimum total never reads "≥ 0,00" (issue 18 follow-up): its criteria say it all
    assert "«chuan» không yêu cầu điểm tối thiểu, nhưng chỉ 2/3 tiêu chí đạt, cần 3" in a and "Đạt 2/3 tiêu chí" in a
    assert "chuan: không yêu cầu điểm tối thiểu; ít nhất 3 tiêu chí đạt" in a and "0,00 (chuan)" not in a  # the legend
    assert "Tốt: từ 22,00 điểm; mức sàn riêng của mức này: I (Nhóm I) 80,0 %" in a.replace("\u00a0", " ")
    b = _text(client.get(f"/leaderboard/unit/{units[1].code}?campaign={c.slug}").get_data(as_text=True))
    assert "38,00 ≥ 25,00 (Xuất sắc), nhưng nhóm III (Nhóm III) đạt 80,0 % điểm tối đa, dưới mức sàn 85,0 %" in b.replace(
        "\u00a0", " ")


def test_framework_page_lists_its_bands_and_conditions(client, factory):
    from tests.admin_helpers import admin_client

    admin_client(client, factory)
    with client.application.test_request_context():
        version, _created = framework_io.store(framework_io.loads(framework_io.dumps(doc()).encode(), "dk.yaml"))
    db.session.commit()
    page = _text(client.get(f"/admin/frameworks/{version.framework_id}").get_data(as_text=True))
    assert "Đạt: từ 50,00 điểm" in page and "Xuất sắc: từ 90,00 điểm; mức sàn riêng của mức này: I 90" in page
    assert "Điều kiện DK2 – Ít nhất 90 % người dân hài lòng: 2.3 (Tỷ lệ người dân hài lòng) ≥ 90,00; " \
           "nếu chưa đạt: xếp loại tối đa Đạt (điểm giữ nguyên)" in page


def test_export_import_export_is_byte_identical_with_every_results_construct(app, tmp_path):
    """Conditions, bands with floors and criteria, criterion/met_pct, rescale and bonus stacking, in YAML and JSON."""
    from tests.unit.test_bonus_stacking import doc as stacking_doc
    from tests.unit.test_rescale import doc as rescale_doc

    d = doc()
    d["groups"][0].update(criterion=True, met_pct=80)
    d["groups"][1]["criterion"] = True
    d["groups"].append(rescale_doc()["groups"][1] | {"code": "III", "children": [
        {"code": "III.1", "name": {"vi": "Điều tra"}, "max_points": 40, "value_type": "number", "rule": {"kind": "manual"}}]})
    d["groups"].append(stacking_doc("max")["groups"][1])
    d["scale"] = 140
    with app.test_request_context():
        for fmt in ("yaml", "json"):
            first = framework_io.dumps(framework_io.loads(framework_io.dumps(d, fmt).encode(), f"x.{fmt}"), fmt)
            again = framework_io.dumps(framework_io.loads(first.encode(), f"x.{fmt}"), fmt)
            assert first == again, fmt
            assert "stacking: max" in first or '"stacking": "max"' in first
            assert "rescale" in first and "met_pct" in first and "cap_band" in first and "floors" in first


def test_bonus_stacking_max_through_the_recompute_and_the_explanation(client, factory):
    from tests.unit.test_bonus_stacking import doc as stacking_doc

    d = stacking_doc("max")
    units = [factory.unit(name=f"Quận Thưởng {k}") for k in "AB"]
    c = factory.campaign(doc=d, units=units, status="appraisal", slug="thuong-max")
    entries = [factory.entry(c, u, status="submitted") for u in units]
    save_values(entries[0], d, {"A.1": 80.0, "B.1": True, "B.2": True})  # 80 + max(15, 10) = 95
    save_values(entries[1], d, {"A.1": 70.0, "B.3": True})              # 78
    db.session.commit()
    recompute.recompute_provisional(c.id, force=True)  # from the raw values
    save_values(entries[1], d, {"B.2": True})  # B: 70 + max(10, 8) = 80, through the ledger
    mark_stale(c.id, [entries[1].id])
    db.session.commit()
    assert recompute.recompute_provisional(c.id)["inputs"] == "ledger"
    rows = {r.unit_id: r for r in db.session.scalars(sa.select(UnitResult).join(ScoreRun).where(
        ScoreRun.campaign_id == c.id, ScoreRun.kind == "provisional"))}
    assert [rows[u.id].total for u in units] == [95.0, 80.0]
    client.login(factory.user("admin").username)
    page = _text(client.get(f"/admin/results/{c.id}/runs/{rows[units[0].id].run_id}/units/{units[0].id}")
                 .get_data(as_text=True))
    assert "B · Điểm thưởng: chỉ tính khoản thưởng lớn nhất (các danh hiệu không cộng dồn)." in page
