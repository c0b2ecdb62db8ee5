"""Council: aggregation, normalisation, disagreement, overrides, statistics and inflation.

Expected figures are worked out by hand in the comments (small_framework: I.2 = 20 and
I.3 = 15 by rule, II.1 value "good" = 40 by rule unless judges score it).
"""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from campaign.extensions import db
from campaign.models import Assignment, AuditLog, Campaign, JudgeScore, Override
from campaign.services.judging import council
from tests.judging_helpers import add_panel, district_campaign, node_ids


def _score(entry, judge, points: dict, ids, status="submitted"):
    a = Assignment(entry_id=entry.id, judge_id=judge.id, status=status)
    db.session.add(a)
    db.session.flush()
    for code, p in points.items():
        db.session.add(JudgeScore(assignment_id=a.id, indicator_id=ids[code], points=p))
    db.session.flush()
    return a


def _five_judges(factory, settings):
    campaign, districts, entries = district_campaign(factory, n_entries=1, settings=settings)
    ids = node_ids(campaign)
    judges = [factory.user("judge", username=f"j{i}") for i in range(5)]
    add_panel(campaign, judges)
    for j, p in zip(judges, [0, 10, 11, 18, 20], strict=True):
        _score(entries[0], j, {"I.1": p, "II.1": 25}, ids)
    db.session.commit()
    return campaign, entries[0]


@pytest.mark.parametrize("settings, i1, total", [
    ({"aggregation": "mean"}, 11.8, 71.8),  # (0+10+11+18+20)/5 = 11.8; 11.8+20+15+25
    ({"aggregation": "median"}, 11, 71),
    ({"aggregation": "trimmed_mean", "trim_min_judges": 3}, 13, 73),  # drop 0 and 20: (10+11+18)/3
    ({"aggregation": "trimmed_mean", "trim_min_judges": 6}, 11.8, 71.8),  # 5 judges < 6: no trimming
])
def test_aggregation_methods(factory, settings, i1, total):
    campaign, entry = _five_judges(factory, settings)
    data = council.load(campaign.id)
    assert data.aggregated[entry.id] == {"I.1": i1, "II.1": 25}
    [row] = council.overview(campaign.id)
    assert row["appraised"] == total and row["final"] == total
    assert row["done"] == 5
    # judges differ by 20 on I.1 (> 20/4 = 5 by default) and agree on II.1
    assert row["flags"] == ["I.1"] and row["flagged"]


def test_disagreement_threshold_setting(factory):
    campaign, entry = _five_judges(factory, {"disagreement_threshold": 20, "disagreement_threshold_total": 30})
    [row] = council.overview(campaign.id)
    assert row["flags"] == [] and not row["flagged"]  # spread 20 is not > 20; totals differ by 20 ≤ 30
    campaign.settings = {"disagreement_threshold": 20, "disagreement_threshold_total": 19}
    db.session.commit()
    [row] = council.overview(campaign.id)
    assert row["total_flag"] and row["flags"] == []  # judges' totals 60 … 80 differ by 20 > 19


def _lenient_and_harsh(factory, settings):
    # A is lenient: 11, 17 (fractions .55, .85); B is harsh: 3, 9 (.15, .45) on I.1 (max 20).
    # Panel fractions .15 .45 .55 .85: mean .5, sd sqrt((.35²+.05²+.05²+.35²)/4) = .25.
    # Each judge has sd .15, so z = −1 / +1 → .5 ∓ .25 → .25 / .75 → 5 / 15 points for both.
    campaign, districts, entries = district_campaign(factory, n_entries=3, settings=settings)
    ids = node_ids(campaign)
    a, b = factory.user("judge", username="lenient"), factory.user("judge", username="harsh")
    add_panel(campaign, [a, b])
    _score(entries[0], a, {"I.1": 11}, ids)
    _score(entries[1], a, {"I.1": 17}, ids)
    _score(entries[0], b, {"I.1": 3}, ids)
    _score(entries[1], b, {"I.1": 9}, ids)
    _score(entries[2], a, {"I.1": 1}, ids, status="draft")  # drafts never count
    db.session.commit()
    return campaign, entries, a, b


def test_without_normalisation_mean_of_raw_points(factory):
    campaign, entries, a, b = _lenient_and_harsh(factory, {"aggregation": "mean"})
    data = council.load(campaign.id)
    assert data.aggregated[entries[0].id]["I.1"] == 7  # (11+3)/2
    assert data.aggregated[entries[1].id]["I.1"] == 13  # (17+9)/2
    assert entries[2].id not in data.aggregated


def test_zscore_normalisation_removes_severity(factory):
    campaign, entries, a, b = _lenient_and_harsh(factory, {"aggregation": "mean", "normalise": True})
    data = council.load(campaign.id)
    assert data.used[(entries[0].id, "I.1")] == {a.id: 5, b.id: 5}
    assert data.used[(entries[1].id, "I.1")] == {a.id: 15, b.id: 15}
    assert data.aggregated[entries[0].id]["I.1"] == 5
    rows = {r["entry"].id: r for r in council.overview(campaign.id)}
    assert rows[entries[0].id]["final"] == 80  # 5 + 20 + 15 + 40
    assert rows[entries[1].id]["final"] == 90  # 15 + 20 + 15 + 40


def test_judge_statistics(factory, client):
    campaign, entries, a, b = _lenient_and_harsh(factory, {})
    stats = council.judge_statistics(campaign.id)
    by = {j["username"]: j for j in stats["judges"]}
    # lenient: 11, 17 → mean 14, sd 3; item means 7 and 13 → shift (4 + 4)/2 = +4
    assert (by["lenient"]["mean"], by["lenient"]["sd"], by["lenient"]["shift"]) == (14, 3, 4)
    assert (by["harsh"]["mean"], by["harsh"]["sd"], by["harsh"]["shift"]) == (6, 3, -4)
    assert (by["lenient"]["submitted"], by["lenient"]["assigned"]) == (2, 3)
    assert by["lenient"]["completion"] == pytest.approx(66.6667)
    assert by["harsh"]["completion"] == 100
    agreement = {r["code"]: r for r in stats["agreement"]}
    assert agreement["I.1"]["mean_range"] == 8 and agreement["I.1"]["agreement"] == 60  # 1 − 8/20
    assert agreement["I.2"]["entries"] == 0
    factory.user("admin", username="boss")
    db.session.commit()
    client.login("boss")
    body = client.get(f"/judging/admin/campaigns/{campaign.id}/stats").get_data(as_text=True)
    assert 'data-testid="stat-lenient"' in body


def test_inflation_view(factory, client):
    campaign, entries, a, b = _lenient_and_harsh(factory, {})
    from campaign.models import IndicatorValue
    ids = node_ids(campaign)
    iv = db.session.scalar(sa.select(IndicatorValue).where(IndicatorValue.entry_id == entries[0].id,
                                                           IndicatorValue.indicator_id == ids["I.1"]))
    iv.self_points = 20
    db.session.commit()
    d = council.inflation(campaign.id)
    row = next(r for r in d["rows"] if r["entry_id"] == entries[0].id)
    # self: 20 + 20 + 15 + 40 = 95; appraised: 7 + 20 + 15 + 40 = 82
    assert (row["self_total"], row["appraised"], row["gap"]) == (95, 82, 13)
    assert row["gaps"] == {"I.1": 13}
    assert d["rows"][0]["entry_id"] == entries[0].id  # the largest over-reporter first
    factory.user("admin", username="boss")
    db.session.commit()
    client.login("boss")
    body = client.get(f"/judging/admin/campaigns/{campaign.id}/inflation").get_data(as_text=True)
    assert "Quận Thử 00" in body and "13" in body


def test_override_needs_chair_and_reason_and_is_audited(client, factory):
    campaign, entry = _five_judges(factory, {"aggregation": "mean"})
    factory.user("admin", username="clerk")
    chair = factory.user("admin", username="chair", is_council_chair=True)
    db.session.commit()
    url = f"/judging/admin/entries/{entry.id}/council"
    client.login("clerk")
    override, revoke = url + "/override", url + "/revoke"
    assert client.submit(override, {"target": "TOTAL", "points": "80", "reason": "x"}, page=url).status_code == 403
    token = client.csrf(url)
    client.post("/logout", data={"csrf_token": token})
    client.login("chair")
    resp = client.submit(override, {"target": "TOTAL", "points": "80", "reason": ""}, page=url)
    assert resp.status_code == 400
    body = resp.get_data(as_text=True)
    assert 'data-testid="override-reason-error">Cần nêu lý do điều chỉnh điểm.<' in body and 'value="80"' in body
    version = db.session.get(Campaign, campaign.id).inputs_version
    assert client.submit(override, {"target": "TOTAL", "points": "80", "reason": "Thành tích đột xuất"},
                         page=url).status_code == 302
    resp = client.submit(override, {"target": "I.1", "points": "25", "reason": "y"}, page=url)  # max 20
    assert resp.status_code == 400
    assert 'data-testid="override-error">Điểm phải trong khoảng 0 đến 20.<' in resp.get_data(as_text=True)
    [row] = council.overview(campaign.id)
    assert row["appraised"] == 71.8 and row["final"] == 80
    # a second decision on the same target replaces the first, both stay in the history
    assert client.submit(override, {"target": "TOTAL", "points": "78,5", "reason": "Hội đồng họp lại"},
                         page=url).status_code == 302
    overrides = db.session.scalars(sa.select(Override).order_by(Override.id)).all()
    assert [(o.points, o.active) for o in overrides] == [(80, False), (78.5, True)]
    assert council.overview(campaign.id)[0]["final"] == 78.5
    audits = db.session.scalars(sa.select(AuditLog).where(AuditLog.action == "council.override")
                                .order_by(AuditLog.id)).all()
    assert [(r.reason, r.before["points"], r.after["points"], r.actor_id) for r in audits] == [
        ("Thành tích đột xuất", None, 80, chair.id), ("Hội đồng họp lại", 80, 78.5, chair.id)]
    assert db.session.get(Campaign, campaign.id).inputs_version == version + 2
    page = client.get(url).get_data(as_text=True)
    assert "Hội đồng họp lại" in page and "78,5" in page
    # revoking needs a reason too and is audited
    assert client.submit(revoke, {"override_id": overrides[1].id, "reason": ""}, page=url).status_code == 400
    assert client.submit(revoke, {"override_id": overrides[1].id, "reason": "Sai sót"}, page=url).status_code == 302
    assert council.overview(campaign.id)[0]["final"] == 71.8
    assert db.session.scalar(sa.select(AuditLog.reason).where(AuditLog.action == "council.override_revoked")) == "Sai sót"


def test_council_pages_render(client, factory):
    campaign, entry = _five_judges(factory, {"aggregation": "median"})
    factory.user("admin", username="boss")
    db.session.commit()
    client.login("boss")
    body = client.get(f"/judging/admin/campaigns/{campaign.id}/council").get_data(as_text=True)
    assert f'data-testid="flag-{entry.id}"' in body and "71" in body
    assert client.get("/judging/admin/").status_code == 200
    assert client.get(f"/judging/admin/entries/{entry.id}/council").status_code == 200
