"""Conditions (điều kiện) end to end, issue 16: a unit that fails one keeps its score and is shown why.

Three units of the table in tests/conditions_helpers.py, each 100 points (worked by hand):
A meets every condition (Xuất sắc), B had an official disciplined (DK1 withholds: no band),
C has 80 % residents satisfied (DK2 caps the band at Đạt).
"""
from __future__ import annotations

import re

import sqlalchemy as sa

from campaign.extensions import db
from campaign.models import CampaignUnit, Cluster, ScoreRun, UnitResult
from campaign.services.results import publishing, recompute
from scoring.band_reasons import explain
from scoring.band_specs import engine_bands
from scoring.entry import score_entry
from scoring.framework import parse_framework
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
