"""Clarification loop: only the asked indicators change, resubmission, versions and diffs."""
from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa

from campaign.extensions import db
from campaign.models import Assignment, Entry, EntryVersion, EvidenceFile
from campaign.models.base import utcnow
from tests.app.test_unit_entry import _values
from tests.conftest import Client
from tests.unit_helpers import GOOD, PDF, World, confirm, error_box, field_value, open_entry, save, submit


@pytest.fixture
def submitted(app, client, factory):
    world = World(factory)
    client.login("canbo")
    entry_id = open_entry(client, world)
    assert submit(client, entry_id, GOOD,
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
    vals = _values(entry_id)
    assert vals["A.1"].raw == "67,5" and vals["A.2"].raw == "1.234,5"


def test_resubmit_keeps_every_version_and_shows_the_diff(app, client, submitted):
    world, entry_id = submitted
    resp = submit(client, entry_id, {"A.2": "999"}, codes=["A.2"])
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


def _ask(app, entry_id, codes: str, message: str):
    admin = Client(app.test_client())
    admin.login("hoidong")
    entry = db.session.get(Entry, entry_id)
    resp = admin.submit(f"/admin/reporting/entries/{entry_id}/clarify", {"codes": codes, "message": message},
                        page=f"/admin/reporting/{entry.campaign_id}")
    assert resp.status_code == 303


def test_answer_is_held_only_to_what_was_asked(app, client, submitted):
    """Issue 11: a locked indicator without evidence (accepted at the first submission, e.g. imported
    or under older rules) must not block the answer to a clarification about another indicator."""
    world, entry_id = submitted
    db.session.execute(sa.update(EvidenceFile).where(EvidenceFile.entry_id == entry_id).values(deleted_at=utcnow()))
    db.session.commit()
    resp = save(client, entry_id, {"A.2": "1500"}, codes=["A.2"], action="submit")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200, error_box(html, "A.1")
    assert 'data-testid="confirm-submit-page"' in html
    assert "phần giải trình cho các chỉ tiêu A.2 được gửi tới Hội đồng thi đua" in html
    assert confirm(client, entry_id, resp).status_code == 303
    db.session.expire_all()
    assert db.session.get(Entry, entry_id).status == "resubmitted"


def test_ward_answers_with_evidence_explanation_and_a_new_value(app, client, submitted):
    world, entry_id = submitted
    _ask(app, entry_id, "A.1", "Bổ sung biên bản kiểm tra nước sạch")
    page = client.get(f"/unit/entries/{entry_id}").get_data(as_text=True)
    assert 'data-testid="asked-A.1"' in page and 'data-testid="asked-A.2"' in page
    assert 'data-testid="asked-A.3"' not in page
    resp = save(client, entry_id, {"A.1": "80", "A.2": "1100"}, codes=["A.1", "A.2"],
                explanations={"A.1": "Biên bản kiểm tra đính kèm"}, action="submit",
                files={"file-A.1": (io.BytesIO(PDF + b"% kiem tra"), "bien-ban-kiem-tra.pdf")})
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "các chỉ tiêu A.1, A.2 được gửi" in html
    # 80 % on the 50→85 line over 20 points: (80 − 50) / 35 × 20 = 17,142857 → 17,14; A.2 1100 ≥ 1000 → 10;
    # unchanged A.3 3, A.4 5, A.5 10, B.1 12 → total 57,14
    assert re.search(r'data-testid="confirm-total">57,14<', html)
    assert confirm(client, entry_id, resp).status_code == 303
    db.session.expire_all()
    assert db.session.get(Entry, entry_id).status == "resubmitted"
    vals = _values(entry_id)
    assert vals["A.1"].raw == "80" and vals["A.1"].explanation == "Biên bản kiểm tra đính kèm"
    assert vals["A.3"].raw == "3"  # accepted before, stays as it was


def test_refused_answer_shows_the_locked_values(app, client, submitted):
    world, entry_id = submitted
    _ask(app, entry_id, "A.1", "Biên bản chưa có chữ ký")
    [pdf] = db.session.scalars(sa.select(EvidenceFile).where(EvidenceFile.entry_id == entry_id)).all()
    # the officer removes the unsigned file and submits before attaching the new one
    resp = save(client, entry_id, {"A.1": "67,5", "A.2": "1.234,5"}, codes=["A.1", "A.2"], action="submit",
                files={"delete_file": str(pdf.id)})
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert "còn 1 chỉ tiêu cần sửa" in html
    assert "Cần đính kèm tệp minh chứng" in error_box(html, "A.1")
    # the locked indicators show what is stored, not empty boxes
    assert field_value(html, "A.3") == "3" and field_value(html, "A.4") == "5"
    assert field_value(html, "B.2") == "Mô hình hay" and field_value(html, "A.5") == "Có"  # the label, never the code
    assert field_value(html, "A.1") == "67,5" and field_value(html, "A.2") == "1.234,5"


def test_locked_numbers_are_shown_in_the_readers_format(app, client, factory):
    world = World(factory)
    client.login("canbo")
    entry_id = open_entry(client, world)
    assert submit(client, entry_id, {**GOOD, "A.1": "67.5", "A.2": "1234.5"},
                  files={"file-A.1": (io.BytesIO(PDF), "bien-ban.pdf")}).status_code == 303
    _ask(app, entry_id, "A.3", "Số hộ được hỗ trợ?")
    html = client.get(f"/unit/entries/{entry_id}").get_data(as_text=True)
    assert field_value(html, "A.1") == "67,5" and field_value(html, "A.2") == "1.234,5"  # locked, Vietnamese
    client.submit("/lang/en", {"next": "/unit/"}, page="/unit/")
    html = client.get(f"/unit/entries/{entry_id}").get_data(as_text=True)
    assert field_value(html, "A.1") == "67.5" and field_value(html, "A.2") == "1,234.5"
    db.session.expire_all()
    assert _values(entry_id)["A.1"].raw == "67.5"  # what was typed is stored as typed
