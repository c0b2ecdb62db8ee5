"""Cold-walk findings 4, 5, 11, 14, 15, 17, 18: what a person reads, in their language and number format."""
from __future__ import annotations

import re

from campaign.extensions import db
from campaign.models import AuditLog
from tests.unit_helpers import GOOD, World, open_entry, save


def _save_rows(html: str) -> list[str]:
    return [r for r in re.findall(r'data-testid="audit-row">(.*?)</tr>', html, re.S) if "A.3" in r or "A.1" in r]


def test_an_untouched_number_typed_back_in_the_other_form_is_not_a_change(app, client, factory):
    world = World(factory)
    client.login("canbo")
    entry_id = open_entry(client, world)
    assert save(client, entry_id, {**GOOD, "A.1": "85,2"}).status_code == 303
    # the form shows "85,2" back; the English page shows "85.2": posting either with only A.3 changed changes A.3 only
    assert save(client, entry_id, {**GOOD, "A.1": "85.2", "A.3": "4"}).status_code == 303
    logs = db.session.query(AuditLog).filter_by(action="entry.save_values").order_by(AuditLog.id).all()
    assert len(logs) == 2
    assert sorted(logs[1].after) == ["A.3"]  # not A.1: 85,2 and 85.2 are the same number
    admin = client.__class__(app.test_client())
    admin.login("hoidong")
    admin.post("/lang/en", data={"next": "/admin/audit"})
    html = admin.get("/admin/audit").get_data(as_text=True)
    first = next(r for r in re.findall(r'data-testid="audit-row">(.*?)</tr>', html, re.S) if "A.1" in r)
    assert "85.2" in first and "85,2" not in first  # typed "85,2" in Vietnamese, read in English
    assert "1,234.5" in first  # "1.234,5" typed in Vietnamese
    admin.post("/lang/vi", data={"next": "/admin/audit"})
    html = admin.get("/admin/audit").get_data(as_text=True)
    first = next(r for r in re.findall(r'data-testid="audit-row">(.*?)</tr>', html, re.S) if "A.1" in r)
    assert "85,2" in first and "1.234,5" in first


def test_english_search_summary_agrees_with_its_number(client, factory):
    from tests.big_board_helpers import big_board, official_units
    big_board(factory, official_units(["01"]), slug="hn126")
    client.post("/lang/en", data={"next": "/leaderboard"})

    def summary(q: str) -> str:
        html = client.get("/leaderboard", query_string={"campaign": "hn126", "q": q}).get_data(as_text=True)
        return " ".join(re.sub(r"<[^>]+>", "", re.search(r'data-testid="search-summary">(.*?)</p>', html, re.S).group(1)).split())

    assert summary("dong da") == "1 unit matches “dong da”"
    many = summary("phuong")
    assert re.fullmatch(r"\d+ units match “phuong”", many), many


def _text(fragment: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", fragment).split())


def test_english_judge_and_results_pages_name_units_and_clusters_in_english(client, factory):
    from campaign.models import Assignment, Cluster
    from tests.factories import small_framework
    from tests.judging_helpers import set_values
    from tests.public_helpers import publish

    judge = factory.user("judge", username="gk")
    factory.user("admin", username="qt")
    doc = small_framework("fw-walk-5")
    doc["groups"][0]["children"][2]["unit"] = "công trình"  # I.3, a count
    doc["groups"][1]["children"][0]["rule"]["levels"][0]["descriptor"] = {"vi": "Tốt, phố sạch.", "en": "Good, clean street."}
    city = factory.unit("city", name="Thành phố Hà Nội")
    district = factory.unit("urban_district", parent=city, name="Quận Đống Đa", name_en="Dong Da District")
    camp = factory.campaign(doc=doc, units=[district], status="appraisal")
    cluster = Cluster(code="C1", name="Cụm thi đua số 1", name_en="Emulation cluster 1", campaign_id=camp.id)
    db.session.add(cluster)
    db.session.flush()
    entry = factory.entry(camp, district, status="submitted")
    set_values(entry, camp, {"I.1": 88.3, "I.3": 1.0})
    db.session.add(Assignment(entry_id=entry.id, judge_id=judge.id, status="assigned"))
    publish(camp, [(district, 80.0, 1, {}, cluster, 1)], kind="provisional", published=False)
    db.session.commit()

    client.login("gk")
    client.post("/lang/en", data={"next": "/"})
    html = client.get(f"/judging/entries/{entry.id}").get_data(as_text=True)
    assert _text(re.search(r'data-testid="value-I.3"[^>]*>(.*?)</td>', html, re.S).group(1)) == "1 work"
    assert "Dong Da District" in _text(re.search(r'data-testid="entry-label">(.*?)</h1>', html, re.S).group(1))
    assert "Dong Da District" in client.get("/judging/").get_data(as_text=True)
    # points with two decimals everywhere on the page, as the self-score and rule columns (6.00 beside ≤ 20.00)
    row = _text(re.search(r'data-testid="indicator-I.1"[^>]*>(.*?)</tr>', html, re.S).group(1))
    assert "(≤ 20.00)" in row and "0.00 – 20.00" in row and "(≤ 20.0)" not in row
    levels = _text(re.search(r'data-testid="indicator-II.1"[^>]*>(.*?)</td>', html, re.S).group(1))
    assert "Good, clean street: 40.00" in levels and ".:" not in levels
    client.post("/lang/vi", data={"next": "/"})
    html = client.get(f"/judging/entries/{entry.id}").get_data(as_text=True)
    assert _text(re.search(r'data-testid="value-I.3"[^>]*>(.*?)</td>', html, re.S).group(1)) == "1 công trình"
    assert "Quận Đống Đa" in html and "Dong Da District" not in html

    client.get("/logout")
    admin = client.__class__(client.application.test_client())
    admin.login("qt")
    admin.post("/lang/en", data={"next": "/"})
    html = admin.get(f"/admin/results/{camp.id}").get_data(as_text=True)
    assert "Dong Da District" in html and "Emulation cluster 1" in html
    assert "Quận Đống Đa" not in html and "Cụm thi đua số 1" not in html
    html = admin.get(f"/judging/admin/campaigns/{camp.id}/council").get_data(as_text=True)
    assert "Dong Da District" in _text(re.search(rf'data-testid="council-row-{entry.id}">(.*?)</tr>', html, re.S).group(1))
    html = admin.get(f"/judging/admin/campaigns/{camp.id}/assignments").get_data(as_text=True)
    assert "Dong Da District" in html and "Quận Đống Đa" not in html


def test_public_exports_show_the_pages_band_labels_and_keep_scores_numeric(client, factory):
    import csv
    import io

    from openpyxl import load_workbook

    from tests.public_helpers import BANDS, publish

    labels = {"xuat_sac": {"vi": "Hoàn thành xuất sắc nhiệm vụ", "en": "Excellently completed"},
              "tot": {"vi": "Hoàn thành tốt nhiệm vụ", "en": "Well completed"}}
    bands = [{**b, "label": labels[b["code"]]} if b["code"] in labels else b for b in BANDS]
    units = [factory.unit(code="001", name="Quận Ba Đình"), factory.unit(code="002", name='=HYPERLINK("x")')]
    camp = factory.campaign(units=units, slug="wx", settings={"bands": bands})
    publish(camp, [(units[0], 1234.5, 1, {"I": 50}), (units[1], 80, 2, {"I": 40})])
    db.session.commit()
    page = client.get("/leaderboard?campaign=wx").get_data(as_text=True)
    assert "Hoàn thành xuất sắc nhiệm vụ" in page

    rows = list(csv.reader(io.StringIO(client.get("/leaderboard.csv?campaign=wx").get_data(as_text=True).lstrip("\ufeff"))))
    header, body = rows[0], rows[1:]
    shown = header.index("Điểm (như trên trang)")
    assert [(r[6], r[5], r[shown]) for r in body] == [("Hoàn thành xuất sắc nhiệm vụ", "1234.5", "1.234,50"),
                                                     ("Hoàn thành tốt nhiệm vụ", "80.0", "80,00")]
    assert body[1][3] == "'=HYPERLINK(\"x\")"  # still formula-safe
    assert not any(cell.startswith(("=", "+", "@")) for r in rows for cell in r)

    client.post("/lang/en", data={"next": "/leaderboard"})
    ws = load_workbook(io.BytesIO(client.get("/leaderboard.xlsx?campaign=wx").get_data())).active
    head = [c.value for c in ws[1]]
    col = head.index("Score (as shown)") + 1
    assert [ws.cell(row=2, column=c).value for c in (6, 7, col)] == [1234.5, "Excellently completed", "1,234.50"]
    assert ws.cell(row=3, column=7).value == "Well completed"


def test_officer_form_points_have_a_label_and_two_decimals(client, factory):
    world = World(factory)
    client.login("canbo")
    entry_id = open_entry(client, world)
    assert save(client, entry_id, {**GOOD}).status_code == 303
    html = client.get(f"/unit/entries/{entry_id}").get_data(as_text=True)
    head = _text(re.search(r"<h4>A\.1 ·(.*?)</h4>", html, re.S).group(1))
    # A.1: 67,5 % on a linear 50 → 85 over 20 points = 10 points
    assert "tối đa 20,00 điểm" in head and "Tự chấm: 10,00" in head
    client.post("/lang/en", data={"next": "/"})
    html = client.get(f"/unit/entries/{entry_id}").get_data(as_text=True)
    head = _text(re.search(r"<h4>A\.1 ·(.*?)</h4>", html, re.S).group(1))
    assert "max 20.00 points" in head and "Self-score: 10.00" in head
    group = _text(re.search(r'data-testid="group-A">\s*<h2>(.*?)</h2>', html, re.S).group(1))
    assert "max 60.00" in group and "Self-score:" in group


def test_officer_home_says_what_to_do_and_by_when(app, client, factory):
    import io
    from datetime import datetime, timedelta

    from campaign.models.base import utcnow
    from tests.conftest import Client
    from tests.unit_helpers import PDF, submit

    # appraisal ends 5 Dec 2026 10:00 UTC = 17:00 in Hà Nội
    world = World(factory, appraisal_deadline=datetime(2026, 12, 5, 10, 0))
    client.login("canbo")
    entry_id = open_entry(client, world)
    assert submit(client, entry_id, {**GOOD}, files={"file-A.1": (io.BytesIO(PDF), "bien-ban.pdf")}).status_code == 303
    admin = Client(app.test_client())
    admin.login("hoidong")
    assert admin.submit(f"/admin/reporting/entries/{entry_id}/clarify", {"codes": "A.2", "message": "Số tiền chưa khớp"},
                        page=f"/admin/reporting/{world.campaign.id}").status_code == 303
    world.campaign.submission_deadline = utcnow() - timedelta(days=1)  # the submission deadline has passed meanwhile
    db.session.commit()
    home = client.get("/unit/").get_data(as_text=True)
    card = _text(re.search(rf'data-testid="campaign-{world.campaign.id}">(.*?)</section>', home, re.S).group(1))
    assert "Trả lời yêu cầu giải trình trước 05/12/2026" in card
    assert "Đã quá hạn" not in card  # the answer is not bound by the submission deadline
    client.post("/lang/en", data={"next": "/unit/"})
    card = _text(client.get("/unit/").get_data(as_text=True))
    assert "Answer the request for clarification by 5 Dec 2026" in card


def test_officer_home_overdue_says_what_follows(client, factory):
    from datetime import timedelta

    from campaign.models.base import utcnow

    World(factory, submission_deadline=utcnow() - timedelta(hours=2))
    client.login("canbo")
    html = client.get("/unit/").get_data(as_text=True)
    assert _text(re.search(r'data-testid="countdown">(.*?)</span>', html, re.S).group(1)) == \
        "Đã quá hạn nộp: chỉ nộp được khi Hội đồng thi đua cho gia hạn."


def test_admin_nav_in_english_names_lists_in_plural_and_frameworks_by_name(client, factory):
    from tests.factories import small_framework

    factory.user("admin", username="qt")
    doc = small_framework("fw-walk-18")
    doc["groups"][1]["children"][0]["rule"]["levels"][0]["descriptor"] = {"vi": "Tốt, phố sạch.", "en": "Good, clean street."}
    camp = factory.campaign(doc=doc)
    db.session.commit()
    client.login("qt")
    client.post("/lang/en", data={"next": "/admin/"})
    detail = _text(client.get(f"/admin/frameworks/{camp.framework_version.framework.id}").get_data(as_text=True))
    assert "Good, clean street: 40.00" in detail and ".:" not in detail
    html = client.get("/admin/frameworks").get_data(as_text=True)
    nav = _text(re.search(r'data-testid="admin-nav">(.*?)</nav>', html, re.S).group(1))
    assert "Campaigns" in nav and "Units" in nav and "Frameworks" in nav
    assert not re.search(r"\bCampaign\b|\bUnit\b", nav)
    fw = camp.framework_version.framework
    row = re.search(rf'data-testid="framework-{re.escape(fw.code)}">(.*?)</tr>', html, re.S).group(1)
    link = _text(re.search(r"<a [^>]*>(.*?)</a>", row, re.S).group(1))
    assert link == (fw.name_en or fw.name) and link != fw.code
    client.post("/lang/vi", data={"next": "/admin/"})
    nav = _text(re.search(r'data-testid="admin-nav">(.*?)</nav>', client.get("/admin/frameworks").get_data(as_text=True),
                          re.S).group(1))
    assert "Phong trào" in nav and "Đơn vị" in nav


def test_unread_count_in_the_header_is_not_white_on_white(client):
    css = client.get("/static/css/app.css").get_data(as_text=True)
    rule = re.search(r"\.topbar \.bell \.badge \{([^}]*)\}", css).group(1)
    props = dict(p.split(":", 1) for p in (x.strip() for x in rule.split(";")) if ":" in p)
    # the bar is red and its links white: the count needs its own colour on its own background
    assert props["color"].strip() not in ("#fff", "#ffffff", "white") and props["background"].strip() == "#fff"


def test_english_counts_agree_with_their_number(client, factory):
    factory.user("admin", username="qt")
    db.session.commit()
    client.login("qt")
    client.post("/lang/en", data={"next": "/admin/users"})
    html = client.get("/admin/users").get_data(as_text=True)
    assert _text(re.search(r'data-testid="user-count">(.*?)</p>', html, re.S).group(1)) == "1 user"
    factory.user("viewer", username="xem")
    db.session.commit()
    html = client.get("/admin/users").get_data(as_text=True)
    assert _text(re.search(r'data-testid="user-count">(.*?)</p>', html, re.S).group(1)) == "2 users"
