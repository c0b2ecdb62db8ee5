"""Public leaderboard pages: ranking display (ties, bands, change), unit page, overview, XSS, locale."""
from __future__ import annotations

import json
import re

import pytest

from campaign.extensions import db
from campaign.models import Assignment, EvidenceFile, IndicatorNode, JudgeScore
from tests.public_helpers import BANDS, cluster, publish, rows_of


@pytest.fixture
def board(factory):
    """Two published snapshots of four districts; the second has a tie and a newcomer."""
    a = factory.unit(code="001", name="Quận Ba Đình")
    b = factory.unit(code="002", name="Quận Hoàn Kiếm")
    c = factory.unit(code="003", name="Quận Tây Hồ")
    d = factory.unit(code="004", name="Quận Long Biên")
    camp = factory.campaign(units=[a, b, c, d], slug="tdkt-2025", name="Thi đua 2025",
                            settings={"bands": BANDS})
    first = publish(camp, [(a, 80, 1, {"I": 50, "II": 30}), (b, 70, 2, {"I": 40, "II": 30}),
                           (c, 60, 3, {"I": 30, "II": 30})], minutes_ago=60, label="Đợt 1")
    second = publish(camp, [(b, 92, 1, {"I": 52, "II": 40}), (a, 80, 2, {"I": 50, "II": 30}),
                            (c, 80, 2, {"I": 50, "II": 30}), (d, 40, 4, {"I": 20, "II": 20})],
                     previous=first, label="Đợt 2")
    return {"camp": camp, "units": (a, b, c, d), "first": first, "second": second}


def test_ranked_table_shows_ties_bands_and_change(client, board):
    html = client.get("/leaderboard").get_data(as_text=True)
    rows = rows_of(html)
    assert [r["code"] for r in rows] == ["002", "001", "003", "004"]
    by = {r["code"]: r for r in rows}
    # ties are shown as ties: both second places read "2 đồng hạng" (as on the commission's pages), the next unit is 4th
    assert by["001"]["rank_text"] == "2 đồng hạng" and by["003"]["rank_text"] == "2 đồng hạng"
    assert by["001"]["tied"] and by["003"]["tied"] and not by["002"]["tied"]
    assert by["004"]["rank_text"] == "4"
    # bands from the campaign thresholds (90 / 75 / 50), labels in Vietnamese
    assert [by[c]["band"] for c in ("002", "001", "003", "004")] == ["Xuất sắc", "Tốt", "Tốt", "Không hoàn thành"]
    # change since the previous PUBLISHED snapshot: 002 was 2nd → ▲1, 001 was 1st → ▼1,
    # 003 was 3rd → ▲1, 004 was not ranked → "Mới"
    assert by["002"]["change"] == "▲ 1"
    assert by["001"]["change"] == "▼ 1"
    assert by["003"]["change"] == "▲ 1"
    assert by["004"]["change"] == "Mới"
    # Vietnamese number format
    assert by["002"]["score"] == "92,00"
    # the chart is embedded as JSON, sorted by score with one stacked trace per group and band lines
    fig = json.loads(re.search(r'<script type="application/json" id="fig-board">(.*?)</script>', html, re.S).group(1))
    assert fig["data"][0]["y"] == ["002", "001", "003", "004"]
    assert [t["x"] for t in fig["data"][:2]] == [[52, 50, 50, 20], [40, 30, 30, 20]]
    assert fig["layout"]["barmode"] == "relative"
    assert sorted(s["x0"] for s in fig["layout"]["shapes"]) == [50, 75, 90]


def test_english_locale_formats_numbers_and_labels(client, board):
    with client.c.session_transaction() as sess:
        sess["lang"] = "en"
    html = client.get("/leaderboard").get_data(as_text=True)
    by = {r["code"]: r for r in rows_of(html)}
    assert by["002"]["score"] == "92.00"
    assert by["004"]["change"] == "New"
    assert by["002"]["band"] == "Excellent"


def test_cluster_filter_uses_rank_in_cluster(client, factory):
    a, b, c = (factory.unit(code=f"00{i}", name=f"Quận {i}") for i in (1, 2, 3))
    camp = factory.campaign(units=[a, b, c], slug="cum", settings={"bands": BANDS})
    c1, c2 = cluster(camp, "C1", "Cụm Một"), cluster(camp, "C2", "Cụm Hai")
    publish(camp, [(a, 90, 1, {"I": 90}, c1, 1), (b, 85, 2, {"I": 85}, c2, 1), (c, 70, 3, {"I": 70}, c1, 2)])
    rows = rows_of(client.get("/leaderboard?cluster=C1").get_data(as_text=True))
    assert [(r["code"], r["rank_text"]) for r in rows] == [("001", "1"), ("003", "2")]
    # an unknown cluster is ignored (whole level shown), never an error or a new cache entry
    assert len(rows_of(client.get("/leaderboard?cluster=NOPE").get_data(as_text=True))) == 3


def test_intervals_and_statistical_ties_when_campaign_asks(client, factory):
    a, b, c = (factory.unit(code=f"00{i}", name=f"Quận {i}") for i in (1, 2, 3))
    camp = factory.campaign(units=[a, b, c], slug="papi", settings={"bands": BANDS, "show_intervals": True})
    # 1st [86, 94] overlaps 2nd [84, 88]; 3rd [60, 70] overlaps nobody
    publish(camp, [(a, 90, 1, {"I": 90}, None, None, (86, 94)), (b, 86, 2, {"I": 86}, None, None, (84, 88)),
                   (c, 65, 3, {"I": 65}, None, None, (60, 70))])
    rows = {r["code"]: r for r in rows_of(client.get("/leaderboard").get_data(as_text=True))}
    assert "86,00 – 94,00" in rows["001"]["interval"]
    assert 'data-testid="stat-tied"' in rows["001"]["interval"] and 'data-testid="stat-tied"' in rows["002"]["interval"]
    assert 'data-testid="stat-tied"' not in rows["003"]["interval"]
    api = client.get("/api/v1/campaigns/papi/leaderboard").get_json()
    assert [(r["unit_code"], r["statistically_tied"], r["interval"]) for r in api["rows"]] == [
        ("001", True, [86, 94]), ("002", True, [84, 88]), ("003", False, [60, 70])]


def test_no_intervals_unless_asked(client, board):
    html = client.get("/leaderboard").get_data(as_text=True)
    assert 'data-testid="interval"' not in html


def test_unit_page_breakdown_children_history_and_public_material(client, factory):
    a = factory.unit(code="001", name="Quận Ba Đình")
    b = factory.unit(code="002", name="Quận Hoàn Kiếm")
    c = factory.unit(code="003", name="Quận Tây Hồ")
    w1 = factory.unit("ward", parent=a, code="00001", name="Phường Phúc Xá")
    w2 = factory.unit("ward", parent=a, code="00004", name="Phường Trúc Bạch")
    camp = factory.campaign(units=[a, b, c, w1, w2], slug="u", settings={"bands": BANDS})
    c1 = cluster(camp, "C1", "Cụm Một")
    first = publish(camp, [(a, 70, 2, {"I": 40, "II": 30}, c1, 2), (b, 75, 1, {"I": 45, "II": 30}, c1, 1)],
                    minutes_ago=60)
    publish(camp, [(a, 80, 2, {"I": 50, "II": 30}, c1, 2), (b, 91, 1, {"I": 51, "II": 40}, c1, 1),
                   (c, 80, 2, {"I": 50, "II": 30})], previous=first)
    publish_communes = [(w1, 60, 2, {"I": 60}), (w2, 70, 1, {"I": 70})]
    # communes go in the same (latest) run as level-3 rows
    from campaign.models import ScoreRun, UnitResult
    latest = db.session.query(ScoreRun).order_by(ScoreRun.id.desc()).first()
    for unit, total, rank, groups in publish_communes:
        db.session.add(UnitResult(run_id=latest.id, unit_id=unit.id, level=3, total=total, rank=rank, group_scores=groups))
    entry = factory.entry(camp, a)
    db.session.add_all([
        EvidenceFile(entry_id=entry.id, sha256="a" * 64, size=10, mime="application/pdf",
                     original_name="Bao-cao-cong-khai.pdf", storage_name="x1", is_public=True),
        EvidenceFile(entry_id=entry.id, sha256="b" * 64, size=10, mime="application/pdf",
                     original_name="Ho-so-noi-bo.pdf", storage_name="x2", is_public=False)])
    judge = factory.user("judge")
    node = db.session.query(IndicatorNode).filter_by(framework_version_id=camp.framework_version_id, code="I.1").one()
    node2 = db.session.query(IndicatorNode).filter_by(framework_version_id=camp.framework_version_id, code="I.2").one()
    asg = Assignment(entry_id=entry.id, judge_id=judge.id, status="submitted")
    db.session.add(asg)
    db.session.flush()
    db.session.add_all([JudgeScore(assignment_id=asg.id, indicator_id=node.id, points=15,
                                   comment="Hồ sơ đầy đủ, minh bạch", comment_public=True),
                        JudgeScore(assignment_id=asg.id, indicator_id=node2.id, points=10,
                                   comment="Nhận xét nội bộ", comment_public=False)])
    db.session.commit()

    resp = client.get("/leaderboard/unit/001?campaign=u")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert 'data-testid="unit-name">Quận Ba Đình<' in html
    # city average of group I over the three districts: (50 + 51 + 50) / 3 = 50.33; II: (30+40+30)/3 = 33.33
    groups_table = re.search(r'data-testid="groups-table">(.*?)</table>', html, re.S).group(1)
    assert "50,33" in groups_table and "33,33" in groups_table
    assert "Cao nhất cụm (Quận Hoàn Kiếm)" in groups_table and "51,00" in groups_table
    # communes of the district, ranked
    children = re.search(r'data-testid="children-table">(.*?)</table>', html, re.S).group(1)
    assert children.index("Phường Trúc Bạch") < children.index("Phường Phúc Xá")
    # history across both published results: 70 then 80
    history = re.search(r'data-testid="history-table">(.*?)</table>', html, re.S).group(1)
    assert history.index("70,00") < history.index("80,00")
    # public evidence and public comments only
    assert "Bao-cao-cong-khai.pdf" in html and "Ho-so-noi-bo.pdf" not in html
    assert "Hồ sơ đầy đủ, minh bạch" in html and "Nhận xét nội bộ" not in html
    assert client.get("/leaderboard/unit/999?campaign=u").status_code == 404


def test_overview_has_distribution_bands_completeness_and_centroid_map(client, factory):
    # real GSO codes, so the approximate centroids place them on the map
    a = factory.unit(code="001", name="Quận Ba Đình")
    b = factory.unit(code="271", name="Huyện Ba Vì")
    camp = factory.campaign(units=[a, b], slug="ov", settings={"bands": BANDS})
    publish(camp, [(a, 91, 1, {"I": 91}), (b, 60, 2, {"I": 60})])
    factory.entry(camp, a, status="submitted")
    db.session.commit()
    html = client.get("/leaderboard/overview?campaign=ov").get_data(as_text=True)
    assert 'data-map="centroids"' in html
    fig = json.loads(re.search(r'id="fig-map">(.*?)</script>', html, re.S).group(1))
    trace = fig["data"][0]
    names = [c[0] for c in trace["customdata"]]  # full names in the hover text; the labels drop the kind
    where = dict(zip(names, zip(trace["x"], trace["y"], strict=True), strict=True))
    assert where == {"Quận Ba Đình": (105.82, 21.035), "Huyện Ba Vì": (105.38, 21.16)}
    assert dict(zip(names, trace["text"], strict=True)) == {"Quận Ba Đình": "Ba Đình", "Huyện Ba Vì": "Ba Vì"}
    # sized by score: 91 gets the largest marker, 60 the smallest
    sizes = dict(zip(names, trace["marker"]["size"], strict=True))
    assert sizes["Quận Ba Đình"] > sizes["Huyện Ba Vì"]
    # completeness: 1 of the 2 participants submitted
    assert "50,0 %" in re.search(r'data-testid="completeness">(.*?)</div>\s*</div>', html, re.S).group(1)
    bands = re.search(r'data-testid="bands-table">(.*?)</table>', html, re.S).group(1)
    assert "Xuất sắc" in bands and "Hoàn thành" in bands


XSS = "</script><script>alert(1)</script>"


def test_xss_unit_name_never_raw_in_html_or_embedded_json(client, factory):
    a = factory.unit(code="001", name=XSS)
    b = factory.unit(code="002", name='"><img src=x onerror=alert(2)>')
    camp = factory.campaign(units=[a, b], slug="x", name=XSS, settings={"bands": BANDS})
    cl = cluster(camp, "C1", "<b onmouseover=alert(3)>cụm</b>")
    publish(camp, [(a, 80, 1, {"I": 80}, cl, 1), (b, 70, 2, {"I": 70}, cl, 2)])
    for url in ("/leaderboard", "/leaderboard/unit/001?campaign=x", "/leaderboard/overview?campaign=x"):
        html = client.get(url).get_data(as_text=True)
        assert "<script>alert(1)" not in html, url
        assert "<img src=x" not in html and "<b onmouseover" not in html, url
        for blob in re.findall(r'<script type="application/json" id="[^"]+">(.*?)</script>', html, re.S):
            assert "<" not in blob and ">" not in blob, url
            json.loads(blob)  # still valid JSON
    html = client.get("/leaderboard").get_data(as_text=True)
    fig = json.loads(re.search(r'id="fig-board">(.*?)</script>', html, re.S).group(1))
    # Plotly renders a small HTML subset in text: names are entity-escaped so they show literally
    # (a tick label is cut to 22 characters before escaping; the hover text keeps the whole name)
    assert fig["layout"]["yaxis"]["ticktext"][0] == "&lt;/script&gt;&lt;script&gt;aler…"
    assert fig["data"][0]["customdata"][0][0] == "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;"
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in html  # the table cell, escaped


def test_anonymous_shell_is_the_template_and_switches_language(client, board, factory):
    resp = client.get("/leaderboard")
    html = resp.get_data(as_text=True)
    assert "Set-Cookie" not in resp.headers  # no session for anonymous visitors
    assert 'name="next" value="/leaderboard?"' in html
    # the cached shell's language switch works (it is a display preference, so no CSRF token)
    resp = client.post("/lang/en", data={"next": "/leaderboard"})
    assert resp.status_code == 302
    assert "Leaderboard" in client.get("/leaderboard").get_data(as_text=True)
    # a logged-in user gets the full template (name in the header) around the same fragment
    factory.user("viewer", username="xem")
    db.session.commit()
    client.login("xem")
    page = client.get("/leaderboard").get_data(as_text=True)
    assert 'data-testid="whoami"' in page
    assert [(r["code"], r["rank"], r["tied"]) for r in rows_of(page)] == [
        (r["code"], r["rank"], r["tied"]) for r in rows_of(html)]


def test_security_headers_on_public_pages(client, board):
    for url in ("/leaderboard", "/leaderboard/overview", "/api/v1/campaigns", "/leaderboard.csv"):
        resp = client.get(url)
        csp = resp.headers["Content-Security-Policy"]
        assert "object-src 'none'" in csp and "base-uri 'none'" in csp and "script-src 'self'" in csp
        assert resp.headers["X-Content-Type-Options"] == "nosniff"


def test_empty_when_nothing_published(client, factory):
    factory.campaign(slug="draft")
    db.session.commit()
    resp = client.get("/leaderboard")
    assert resp.status_code == 200 and 'data-testid="no-results"' in resp.get_data(as_text=True)
    assert client.get("/leaderboard?campaign=draft").status_code == 404


def test_the_level_filter_offers_only_levels_with_units(client, board, factory):
    """A district-only campaign offers no commune level (cold walk: it led to an empty board)."""
    html = client.get("/leaderboard?campaign=tdkt-2025").get_data(as_text=True)
    assert '<option value="district" selected>' in html and '<option value="commune"' not in html
    # a level without units asked for by URL (an old link, the campaign switch) opens the campaign's own
    asked = client.get("/leaderboard?campaign=tdkt-2025&level=commune").get_data(as_text=True)
    assert '<option value="district" selected>' in asked and "Không có đơn vị nào ở cấp này" not in asked


def test_a_publication_keeps_the_bands_it_was_computed_with(client, board):
    """The commission edits the bands after publishing (e.g. for the next round): the public board still
    explains the published bands with the thresholds they were given under, not the new ones."""
    board["second"].settings = {"bands": BANDS}
    board["camp"].settings = {"bands": [{"code": "xuat_sac", "min_total": 95}, {"code": "tot", "min_total": 85},
                                        {"code": "hoan_thanh", "min_total": 60}]}
    db.session.commit()
    html = client.get("/leaderboard").get_data(as_text=True)
    fig = json.loads(re.search(r'<script type="application/json" id="fig-board">(.*?)</script>', html, re.S).group(1))
    assert sorted(s["x0"] for s in fig["layout"]["shapes"]) == [50, 75, 90]
    by = {r["code"]: r for r in rows_of(html)}
    assert by["002"]["band"] == "Xuất sắc" and "92,00 ≥ 90,00" in by["002"]["reason"]
