"""Words a person reads, leftovers of issue 12: units and names in the reader's language, labels instead of
codes (explanation page, framework page, audit rows), indicator names on public comments, Vietnamese order."""
from __future__ import annotations

import copy
import random
import re

import sqlalchemy as sa

from campaign.extensions import db
from campaign.models import Assignment, IndicatorNode, JudgeScore
from campaign.services.results import recompute
from campaign.services.setup import framework_io
from tests.public_helpers import BANDS, publish
from tests.results_helpers import rich_framework, save_values
from tests.unit_helpers import World, open_entry


def _text(html: str) -> str:
    """What a reader sees: tags dropped, spaces collapsed."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).replace("&#34;", '"').replace("&#39;", "'").split())


def _english(client, url: str) -> str:
    client.post("/lang/en", data={"next": url})
    return _text(client.get(url).get_data(as_text=True))


def _units_world(factory) -> World:
    """The officer's rich framework with a common Vietnamese unit and a {vi, en} unit."""
    from tests import unit_helpers

    original = unit_helpers.rich_framework

    def with_units(code):
        doc = original(code)
        a = doc["groups"][0]["children"]
        a[2]["unit"] = "công trình"                               # A.3: a common unit, from the table
        a[3]["unit"] = {"vi": "hộ nghèo", "en": "poor households"}  # A.4: the framework's own English
        return doc

    unit_helpers.rich_framework = with_units
    try:
        return World(factory)
    finally:
        unit_helpers.rich_framework = original


def test_officer_form_shows_units_in_the_readers_language(client, factory):
    world = _units_world(factory)
    client.login("canbo")
    entry_id = open_entry(client, world)
    vi = _text(client.get(f"/unit/entries/{entry_id}").get_data(as_text=True))
    assert "Giá trị (công trình)" in vi and "Giá trị (hộ nghèo)" in vi
    en = _english(client, f"/unit/entries/{entry_id}")
    assert "Value (works)" in en and "Value (poor households)" in en
    assert "công trình" not in en and "hộ nghèo" not in en


def test_framework_page_names_rules_value_kinds_and_units(client, factory):
    world = _units_world(factory)
    client.login("hoidong")
    url = f"/admin/campaigns/{world.campaign.id}/framework"
    vi = _text(client.get(url).get_data(as_text=True))
    # A.3 counts 1 point per work: the rule and the value kind in words, with the unit
    assert "Theo số lượng × 1,00" in vi and "Số lượng (công trình)" in vi and "Có/Không" in vi
    client.post("/lang/en", data={"next": url})
    html = client.get(url).get_data(as_text=True)
    en = _text(re.search(r'data-testid="framework-tree">(.*?)</table>', html, re.S).group(1))
    assert "Per item × 1.00" in en and "Count (works)" in en and "Count (poor households)" in en
    for code in ("yes_no", "linear", "judged", "count (", "công trình"):
        assert code not in en, en[max(0, en.find(code) - 150):en.find(code) + 60]


def test_a_unit_mapping_survives_export_and_import_byte_for_byte(app):
    doc = copy.deepcopy(framework_io.template_doc("mass-mobilization-2018"))
    doc["code"] = "units-roundtrip"
    doc["groups"][0]["children"][1]["unit"] = {"vi": "hội nghị", "en": "conferences"}
    for fmt in ("yaml", "json"):
        text = framework_io.dumps(doc, fmt)
        version, _created = framework_io.import_framework(text.encode(), f"units.{fmt}")
        exported, _name = framework_io.export_version(version.id, fmt)
        assert exported == text
    assert 'en: conferences' in framework_io.dumps(doc, "yaml")


def test_explanation_page_reads_as_words_in_both_languages(client, factory):
    admin = factory.user("admin", username="qt")
    unit = factory.unit(name="Quận Thử")
    doc = rich_framework(f"fw-words-{random.randrange(10**9)}")
    doc["groups"][1]["children"][0]["unit"] = "công trình"  # II.1, 3 points per work
    camp = factory.campaign(doc=doc, units=[unit], status="appraisal")
    entry = factory.entry(camp, unit, status="submitted")
    # I.2 target 10: 12.5 reaches it; I.3 yes; II.1 two works → 2 × 3 = 6 points; P.1 no penalty
    save_values(entry, doc, {"I.2": 12.5, "I.3": True, "II.1": 2.0, "P.1": 0.0})
    db.session.commit()
    recompute.recompute_provisional(camp.id)
    run = recompute.provisional_run(camp.id)
    client.login(admin.username)
    url = f"/admin/results/{camp.id}/runs/{run.id}/units/{unit.id}"
    vi = _text(client.get(url).get_data(as_text=True))
    assert "II.1 · Chỉ tiêu II.1 2 công trình Theo số lượng 6,00" in vi
    assert "I.3 · Chỉ tiêu I.3 Có Có/Không 10,00" in vi
    assert "I.2 · Chỉ tiêu I.2 12,5 Đạt chỉ tiêu" in vi
    assert "I · Chỉ tiêu I" in vi and "Theo quy tắc" in vi
    assert "-0,00" not in vi  # a penalty of nothing reads 0,00
    en = _english(client, url)
    assert "II.1 · Indicator II.1 2 works Per item 6.00" in en
    assert "I.3 · Indicator I.3 Yes Yes/No 10.00" in en and "By the rule" in en
    for code in (" True ", " yes_no ", " count ", " judges ", " target ", "công trình"):
        assert code not in f" {en} ", en[max(0, en.find(code.strip()) - 200):en.find(code.strip()) + 60]
    assert " True " not in f" {vi} " and " rule " not in f" {vi} "


def test_public_comments_and_evidence_name_the_indicator(client, factory):
    district = factory.unit(code="001", name="Quận Ba Đình")
    camp = factory.campaign(units=[district], slug="words", settings={"bands": BANDS})
    publish(camp, [(district, 80, 1, {"I": 50, "II": 30})])
    entry = factory.entry(camp, district)
    judge = factory.user("judge")
    node = db.session.scalar(sa.select(IndicatorNode).where(
        IndicatorNode.framework_version_id == camp.framework_version_id, IndicatorNode.code == "I.3"))
    assignment = Assignment(entry_id=entry.id, judge_id=judge.id, status="submitted")
    db.session.add(assignment)
    db.session.flush()
    db.session.add(JudgeScore(assignment_id=assignment.id, indicator_id=node.id, points=15,
                              comment="Mô hình hiệu quả", comment_public=True))
    db.session.commit()
    vi = _text(client.get("/leaderboard/unit/001?campaign=words").get_data(as_text=True))
    assert "Số mô hình: Mô hình hiệu quả" in vi
    assert "I.3:" not in vi
    en = _english(client, "/leaderboard/unit/001?campaign=words")
    assert "Number of models: Mô hình hiệu quả" in en


def test_audit_rows_show_statuses_kinds_and_fields_in_words(client, factory):
    from campaign.services import audit

    admin = factory.user("admin", username="qt")
    camp = factory.campaign(name="Năm Dân vận 2018", name_en="Mass Mobilization Year 2018")
    audit.record("entry.submit", "entry", 5, before={"status": "draft"}, after={"status": "submitted"}, actor=admin)
    audit.record("campaign.status", "campaign", camp.id, before={"status": "open"}, after={"status": "appraisal"},
                 campaign_id=camp.id, actor=admin)
    audit.record("results.publish", "score_run", 8, after={"kind": "snapshot", "not_submitted": 0}, actor=admin)
    # stored in UTC: 10:00 UTC is 17:00 in Hà Nội
    audit.record("campaign.extend", "campaign", camp.id, after={"new_deadline": "2026-11-30T10:00:00"}, actor=admin)
    db.session.commit()
    client.login("qt")
    html = client.get("/admin/audit").get_data(as_text=True)
    cells = _text(" | ".join(re.findall(r'data-testid="audit-(?:before|after)">(.*?)</td>', html, re.S)))
    assert "Trạng thái: Bản nháp" in cells and "Trạng thái: Đã nộp" in cells
    assert "Trạng thái: Đang nhận bài" in cells and "Trạng thái: Đang thẩm định" in cells
    assert "Loại: Kết quả chính thức" in cells and "Số đơn vị chưa nộp: 0" in cells
    assert "Hạn mới: 30/11/2026 17:00" in cells
    for code in ("draft", "submitted", "appraisal", "snapshot", "not_submitted"):
        assert code not in cells, code
    client.post("/lang/en", data={"next": "/admin/audit"})
    html = client.get("/admin/audit").get_data(as_text=True)
    cells = _text(" | ".join(re.findall(r'data-testid="audit-(?:before|after)">(.*?)</td>', html, re.S)))
    assert "Submitted" in cells and "Official result" in cells and "Units that did not submit: 0" in cells
    assert "30 Nov 2026 17:00" in cells
    assert "Mass Mobilization Year 2018" in _text(html) and "Năm Dân vận 2018" not in _text(html)
    # the export keeps the recorded codes for machines
    assert '"submitted"' in client.get("/admin/audit/export.csv").get_data(as_text=True).replace('""', '"')


def test_judge_lists_follow_vietnamese_dictionary_order(client, factory):
    from tests.judging_helpers import add_panel, district_campaign

    admin = factory.user("admin", username="qt")
    # code-point order would put "Ứng" after "Vũ" (ư is U+01B0); Vietnamese puts ư before v, and Đ after D
    judges = [factory.user("judge", username=u, full_name=n) for u, n in
              (("gk1", "Vũ Thị Lan"), ("gk2", "Ứng Văn Hòa"), ("gk3", "Đỗ Đức Thắng"), ("gk4", "Dương Văn Nội"))]
    camp, _districts, entries = district_campaign(factory, n_entries=1)
    add_panel(camp, judges)
    for j in judges:
        db.session.add(Assignment(entry_id=entries[0].id, judge_id=j.id, status="assigned"))
    db.session.commit()
    client.login(admin.username)
    expected = ["Dương Văn Nội", "Đỗ Đức Thắng", "Ứng Văn Hòa", "Vũ Thị Lan"]
    for url in (f"/judging/admin/campaigns/{camp.id}/stats", f"/judging/admin/campaigns/{camp.id}/panel"):
        text = _text(client.get(url).get_data(as_text=True))
        positions = [text.find(name) for name in expected]
        assert -1 not in positions and positions == sorted(positions), (url, positions)


def test_tie_breaks_are_chosen_from_named_rules_not_typed_as_codes(client, factory):
    admin = factory.user("admin", username="qt")
    camp = factory.campaign(status="draft", settings={"tie_breaks": ["group:II", "fewer_penalty"]})
    db.session.commit()
    client.login(admin.username)
    html = client.get(f"/admin/campaigns/{camp.id}/edit").get_data(as_text=True)
    box = re.search(r'data-testid="tie_breaks">(.*?)</fieldset>', html, re.S).group(1)
    first, second, third = re.findall(r"<select[^>]*>(.*?)</select>", box, re.S)
    # the small framework's regular groups by name, then fewer deductions and earlier submission
    assert _text(first).startswith("— không dùng — Điểm nhóm I (Nhóm I) cao hơn Điểm nhóm II (Nhóm II) cao hơn "
                                   "Ít điểm trừ hơn Nộp sớm hơn")
    assert re.search(r'<option selected value="group:II">|<option value="group:II" selected>', first)
    assert re.search(r'selected[^>]*value="fewer_penalty"|value="fewer_penalty"[^>]*selected', second)
    assert "selected" not in third or re.search(r"<option selected value=\"\">|<option value=\"\" selected>", third)
    assert "<textarea" not in box and "fewer_penalty (" not in html  # no code to type, no code explained
    client.post("/lang/en", data={"next": "/"})
    en = _text(client.get(f"/admin/campaigns/{camp.id}/edit").get_data(as_text=True))
    assert "Higher score in group II (Group II)" in en and "Fewer penalty points" in en and "Submitted earlier" in en


def test_results_export_names_bands_awards_and_groups_in_the_readers_language(client, factory):
    admin = factory.user("admin", username="qt")
    a, b = factory.unit(code="001", name="Quận Ba Đình"), factory.unit(code="002", name="Quận Hoàn Kiếm")
    camp = factory.campaign(units=[a, b], settings={"bands": BANDS})
    run = publish(camp, [(a, 92, 1, {"I": 55, "II": 37}), (b, 60, 2, {"I": 40, "II": 20})])
    db.session.commit()
    client.login(admin.username)
    csv_vi = client.get(f"/admin/results/{camp.id}/export?format=csv&run={run.id}").get_data(as_text=True)
    header, first = csv_vi.splitlines()[:2]
    assert "I · Nhóm I" in header and "II · Nhóm II" in header
    assert ",Xuất sắc," in first and "xuat_sac" not in csv_vi  # 92 ≥ 90
    client.post("/lang/en", data={"next": "/"})
    csv_en = client.get(f"/admin/results/{camp.id}/export?format=csv&run={run.id}").get_data(as_text=True)
    assert "I · Group I" in csv_en and ",Excellent," in csv_en and ",Completed," in csv_en  # 60 ≥ 50


def test_blank_scoring_table_names_judged_levels_not_codes(app):
    import io

    import openpyxl

    from tests.factories import small_framework

    doc = small_framework("fw-blank-words")
    doc["groups"][1]["children"][0]["rule"]["levels"][0]["points"] = 37.5  # II.1 "good" 37.5 points
    for lang, expected in (("vi", "Tốt: 37,5; Khá: 25"), ("en", "Good: 37.5; Fair: 25")):
        sheet = openpyxl.load_workbook(io.BytesIO(framework_io.blank_scoring_table(doc, lang))).active
        notes = {row[0]: row[5] for row in sheet.iter_rows(min_row=5, values_only=True)}
        assert notes["II.1"] == expected, notes["II.1"]


def test_a_versions_changes_read_as_words_and_local_numbers(client, factory):
    import io

    from tests.unit_helpers import GOOD, PDF, submit

    world = World(factory)
    client.login("canbo")
    entry_id = open_entry(client, world)
    assert submit(client, entry_id, GOOD, files={"file-A.1": (io.BytesIO(PDF), "bien-ban.pdf")}).status_code == 303
    html = client.get(f"/unit/entries/{entry_id}/versions/1").get_data(as_text=True)

    def row(code_field: str) -> str:
        return _text(re.search(rf'data-testid="diff-{code_field}">(.*?)</tr>', html, re.S).group(1))

    # A.5 typed "yes" → "Có"; A.1 "67,5" → 10 points (linear 50→85 over 20: (67,5−50)/35 × 20 = 10)
    assert row("A.5-raw").endswith("Có") and row("A.1-raw").endswith("67,5")
    assert row("A.1-points").endswith("10,00") and row("B.1-raw").endswith("Khá")
    assert ">yes<" not in html and "10.0" not in html and ">fair<" not in html
    client.post("/lang/en", data={"next": "/"})
    html = client.get(f"/unit/entries/{entry_id}/versions/1").get_data(as_text=True)
    assert row("A.5-raw").endswith("Yes") and row("A.1-raw").endswith("67.5") and row("B.1-raw").endswith("Fair")


def test_judge_page_values_carry_their_unit_in_the_readers_language(client, factory):
    from tests.factories import small_framework
    from tests.judging_helpers import set_values

    judge = factory.user("judge", username="gk")
    doc = small_framework("fw-judge-units")
    doc["groups"][0]["children"][2]["unit"] = "mô hình"  # I.3, a count
    city = factory.unit("city", name="Thành phố Hà Nội")
    district = factory.unit("urban_district", parent=city, name="Quận Thử")
    camp = factory.campaign(doc=doc, units=[district], status="appraisal")
    entry = factory.entry(camp, district, status="submitted")
    set_values(entry, camp, {"I.1": 88.3, "I.3": 3.0})
    db.session.add(Assignment(entry_id=entry.id, judge_id=judge.id, status="assigned"))
    db.session.commit()
    client.login("gk")
    html = client.get(f"/judging/entries/{entry.id}").get_data(as_text=True)

    def value(code: str) -> str:
        return _text(re.search(rf'data-testid="value-{code}"[^>]*>(.*?)</td>', html, re.S).group(1))

    assert value("I.1") == "88,3 %" and value("I.3") == "3 mô hình"
    client.post("/lang/en", data={"next": "/"})
    html = client.get(f"/judging/entries/{entry.id}").get_data(as_text=True)
    assert value("I.1") == "88.3%" and value("I.3") == "3 models"


def test_reporting_export_lists_districts_in_dictionary_order(client, factory):
    factory.user("admin", username="qt")
    # byte order would put "Huyện Đông Anh" after "Huyện Gia Lâm" (Đ is U+0110); a dictionary puts đ right after d
    names = ["Huyện Gia Lâm", "Huyện Đông Anh", "Huyện Dương Nội", "Huyện Ứng Hòa", "Huyện Vân Đình"]
    units = [factory.unit("rural_district", code=f"{i:03d}", name=n) for i, n in enumerate(names)]
    camp = factory.campaign(units=units)
    db.session.commit()
    client.login("qt")
    lines = client.get(f"/admin/reporting/{camp.id}/export.csv").get_data(as_text=True).splitlines()[1:]
    assert [line.split(",")[0] for line in lines] == ["Huyện Dương Nội", "Huyện Đông Anh", "Huyện Gia Lâm",
                                                      "Huyện Ứng Hòa", "Huyện Vân Đình"]
    page = _text(client.get(f"/admin/reporting/{camp.id}").get_data(as_text=True))
    positions = [page.find(n) for n in ("Huyện Dương Nội", "Huyện Đông Anh", "Huyện Gia Lâm", "Huyện Ứng Hòa")]
    assert -1 not in positions and positions == sorted(positions)


def test_whatif_weights_take_the_vietnamese_decimal_comma(app):
    from campaign.results.forms import parse_weights

    with app.test_request_context():
        # "I=1,2, II=0,8" once read as I=1 and II=0 (the comma split the numbers)
        assert parse_weights("I=1,2, II=0,8") == {"I": 1.2, "II": 0.8}
        assert parse_weights("I=1,2; II=0,8") == parse_weights("I=1.2, II=0.8") == {"I": 1.2, "II": 0.8}
        for bad in ("I=abc", "I=1,2,3"):
            try:
                parse_weights(bad)
            except ValueError as refused:
                assert bad in str(refused)
            else:
                raise AssertionError(bad)


def test_audit_unit_filter_finds_a_name_typed_without_diacritics(client, factory):
    from campaign.services import audit

    admin = factory.user("admin", username="qt")
    dongda = factory.unit(code="006", name="Quận Đống Đa")
    other = factory.unit(code="002", name="Quận Hoàn Kiếm")
    audit.record("entry.submit", "entry", 1, unit_id=dongda.id, reason="ghi-dong-da", actor=admin)
    audit.record("entry.submit", "entry", 2, unit_id=other.id, reason="ghi-hoan-kiem", actor=admin)
    db.session.commit()
    client.login("qt")
    for query in ("dong da", "ĐỐNG ĐA", "006"):
        html = client.get("/admin/audit", query_string={"unit": query}).get_data(as_text=True)
        assert "ghi-dong-da" in html and "ghi-hoan-kiem" not in html, query
    assert "ghi-dong-da" not in client.get("/admin/audit?unit=xyz").get_data(as_text=True)
