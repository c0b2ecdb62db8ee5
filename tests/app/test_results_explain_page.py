"""The commission's explanation page in words a reader follows (issue 18's cold walk).

A district rolled up from its wards lists the wards by name with their score, weight and
contribution (never a JSON dump of codes); a unit that did not submit shows no rank ("–") and
says why; the judges' marks are separated so that a decimal comma cannot be read as a list.
"""
from __future__ import annotations

import random
import re

import sqlalchemy as sa

from campaign.extensions import db
from campaign.models import Entry, ScoreRun, UnitResult
from campaign.services.results import recompute
from scoring.framework import parse_framework
from tests.results_helpers import judge, random_value, rich_framework, save_values


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_rollup_unranked_and_marks_read_as_words(client, factory):
    rng = random.Random(7)
    doc = rich_framework("fw-explain-page")
    fw = parse_framework(doc)
    district = factory.unit("urban_district", name="Quận Giải Thích")
    wards = [factory.unit("ward", parent=district, name=n) for n in ("Phường Hoa Sen", "Phường Trúc Lâm")]
    draft_ward = factory.unit("ward", name="Phường Nháp")
    factory.user("admin", username="hoidong-gt")
    c = factory.campaign(doc=doc, units=[district, *wards, draft_ward], settings={"rollup": {"kind": "mean"}})
    judges = [factory.user("judge") for _ in range(2)]
    for u in (district, *wards):
        e = factory.entry(c, u, status="submitted")
        save_values(e, doc, {n.code: random_value(n, rng) for n in fw.indicators()})
    e = factory.entry(c, draft_ward, status="draft")
    save_values(e, doc, {n.code: random_value(n, rng) for n in fw.indicators()})
    entry = db.session.scalar(sa.select(Entry).where(Entry.unit_id == wards[0].id))
    judge(entry, judges[0], {"II.2": 12.5})
    judge(entry, judges[1], {"II.2": 15.0})
    db.session.commit()
    recompute.recompute_provisional(c.id, force=True)
    run = recompute.provisional_run(c.id)
    rows = {r.unit_id: r for r in db.session.scalars(sa.select(UnitResult).where(UnitResult.run_id == run.id))}
    client.login("hoidong-gt")

    page = _text(client.get(f"/admin/results/{c.id}/runs/{run.id}/units/{district.id}").get_data(as_text=True))
    assert "unit_code" not in page and "contribution" not in page
    for w in wards:  # each ward by name: score, 50 % weight (mean of two), half its score as contribution
        total = rows[w.id].total
        half = f"{total / 2:.2f}".replace(".", ",")
        assert f"{w.name} {f'{total:.2f}'.replace('.', ',')} 50,0 % {half}" in page, w.name
    assert f"Điểm của đơn vị: {f'{rows[district.id].total:.2f}'.replace('.', ',')}" in page
    assert "Điểm giám khảo được tổng hợp bằng" not in page  # nobody judged the district's indicators

    page = _text(client.get(f"/admin/results/{c.id}/runs/{run.id}/units/{draft_ward.id}").get_data(as_text=True))
    assert "None" not in page
    assert "Hạng – Chưa xếp hạng: hồ sơ còn là bản nháp, chưa nộp." in page

    page = _text(client.get(f"/admin/results/{c.id}/runs/{run.id}/units/{wards[0].id}").get_data(as_text=True))
    assert "12,50 · 15,00" in page
    assert "Điểm giám khảo được tổng hợp bằng: Trung bình" in page
    assert db.session.get(ScoreRun, run.id).kind == "provisional"
