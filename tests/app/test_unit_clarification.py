"""Clarification loop: only the asked indicators change, resubmission, versions and diffs."""
from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from campaign.extensions import db
from campaign.models import Assignment, Entry, EntryVersion
from tests.conftest import Client
from tests.unit_helpers import GOOD, PDF, World, error_box, open_entry, save


@pytest.fixture
def submitted(app, client, factory):
    world = World(factory)
    client.login("canbo")
    entry_id = open_entry(client, world)
    assert save(client, entry_id, GOOD, action="submit",
                files={"file-A.1": (io.BytesIO(PDF), "bien-ban.pdf")}).status_code == 303
    admin = Client(app.test_client())
    admin.login("hoidong")
    resp = admin.submit(f"/admin/reporting/entries/{entry_id}/clarify",
                        {"codes": "A.2", "message": "Số tiền vận động chưa khớp báo cáo"},
                        page=f"/admin/reporting/{world.campaign.id}")
    assert resp.status_code == 303
    return world, entry_id


def test_unit_sees_what_was_asked_and_only_those_fields_are_open(client, submitted):
    world, entry_id = submitted
    html = client.get(f"/unit/entries/{entry_id}").get_data(as_text=True)
    assert "Số tiền vận động chưa khớp báo cáo" in html and 'data-testid="clarification"' in html
    assert 'name="codes" value="A.2"' in html and 'name="codes" value="A.1"' not in html
    assert "Nộp lại hồ sơ" in html


def test_changing_a_field_that_was_not_asked_is_refused(client, submitted):
    world, entry_id = submitted
    # a crafted post that also changes A.1 (locked): nothing is saved
    resp = save(client, entry_id, {**GOOD, "A.1": "90", "A.2": "2000"})
    assert resp.status_code == 422
    assert "đang khóa" in error_box(resp.get_data(as_text=True), "A.1")
    db.session.expire_all()
    from tests.app.test_unit_entry import _values

    vals = _values(entry_id)
    assert vals["A.1"].raw == "67,5" and vals["A.2"].raw == "1.234,5"


def test_resubmit_keeps_every_version_and_shows_the_diff(app, client, submitted):
    world, entry_id = submitted
    resp = save(client, entry_id, {"A.2": "999"}, codes=["A.2"], action="submit")
    assert resp.status_code == 303
    db.session.expire_all()
    entry = db.session.get(Entry, entry_id)
    assert entry.status == "resubmitted"
    versions = db.session.scalars(sa.select(EntryVersion).where(EntryVersion.entry_id == entry_id)
                                  .order_by(EntryVersion.number)).all()
    assert [(v.number, v.kind) for v in versions] == [(1, "submit"), (2, "resubmit")]
    assert versions[0].content["values"]["A.2"]["raw"] == "1.234,5"
    assert versions[1].content["values"]["A.2"]["raw"] == "999"
    html = client.get(f"/unit/entries/{entry_id}/versions/2").get_data(as_text=True)
    assert 'data-testid="diff-A.2-raw"' in html and "1.234,5" in html and "999" in html
    assert 'data-testid="diff-A.2-points"' in html  # 10 → 0 (below the 1000 target)
    assert 'diff-A.1' not in html
    # the first version lists the file it was submitted with
    assert "bien-ban.pdf" in client.get(f"/unit/entries/{entry_id}/versions/1").get_data(as_text=True)


def test_versions_visible_to_assigned_judge_not_to_other_units(app, factory, submitted):
    world, entry_id = submitted
    judge = factory.user("judge", username="gk")
    db.session.add(Assignment(entry_id=entry_id, judge_id=judge.id))
    db.session.commit()
    j = Client(app.test_client())
    j.login("gk")
    assert j.get(f"/unit/entries/{entry_id}/versions").status_code == 200
    o = Client(app.test_client())
    o.login("canbo2")
    assert o.get(f"/unit/entries/{entry_id}/versions").status_code == 404
    assert o.get(f"/unit/entries/{entry_id}/versions/1").status_code == 404
