"""Evidence files: caps per request and per indicator, duplicates, accepted types shown, no existence oracle."""
from __future__ import annotations

import io
import os
import re

import pytest
import sqlalchemy as sa

from campaign.extensions import db
from campaign.models import EvidenceFile
from tests.conftest import Client
from tests.unit_helpers import PDF, PNG, World, docx_bytes, error_box, field_value, open_entry, save


@pytest.fixture
def world(factory):
    return World(factory)


def _pdf(i: int) -> bytes:
    return PDF + f"% copy {i}\n".encode()


def _rows(entry_id: int) -> list[EvidenceFile]:
    return list(db.session.scalars(sa.select(EvidenceFile).where(EvidenceFile.entry_id == entry_id,
                                                                  EvidenceFile.deleted_at.is_(None))
                                   .order_by(EvidenceFile.id)))


def _stored(app) -> list[str]:
    folder = app.config["UPLOAD_FOLDER"]
    return sorted(n for n in os.listdir(folder) if not n.startswith(".")) if os.path.isdir(folder) else []


def test_too_many_files_in_one_request_stores_nothing_and_says_so(app, client, world):
    app.config["MAX_FILES_PER_REQUEST"] = 5
    client.login("canbo")
    entry_id = open_entry(client, world)
    files = {"file-A.1": [(io.BytesIO(_pdf(i)), f"bien-ban-{i}.pdf") for i in range(4)],
             "file-A.2": [(io.BytesIO(_pdf(10 + i)), f"so-lieu-{i}.pdf") for i in range(2)]}
    resp = save(client, entry_id, {"A.2": "321"}, files=files)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 413
    assert "Mỗi lần gửi được tối đa 5 tệp; bạn đã chọn 6 tệp. Không có gì được lưu" in html
    assert field_value(html, "A.2") == "321"  # the typed value is still on screen
    db.session.expire_all()
    assert _rows(entry_id) == [] and _stored(app) == []
    page = client.get(f"/unit/entries/{entry_id}").get_data(as_text=True)
    assert field_value(page, "A.2") == ""  # nothing saved from the refused request, values included


def test_too_many_files_on_one_indicator_is_refused_next_to_it(app, client, world):
    app.config["MAX_FILES_PER_INDICATOR"] = 3
    client.login("canbo")
    entry_id = open_entry(client, world)
    first = {"file-A.1": [(io.BytesIO(_pdf(i)), f"a{i}.pdf") for i in range(2)]}
    assert save(client, entry_id, {}, files=first).status_code == 303
    more = {"file-A.1": [(io.BytesIO(_pdf(5 + i)), f"b{i}.pdf") for i in range(2)]}
    resp = save(client, entry_id, {"A.2": "5"}, files=more)
    assert resp.status_code == 422
    box = error_box(resp.get_data(as_text=True), "A.1")
    assert "Mỗi chỉ tiêu có tối đa 3 tệp; chỉ tiêu này đã có 2 tệp, bạn chọn thêm 2 tệp" in box
    db.session.expire_all()
    assert [r.original_name for r in _rows(entry_id)] == ["a0.pdf", "a1.pdf"]
    # one more fits
    assert save(client, entry_id, {}, files={"file-A.1": (io.BytesIO(_pdf(9)), "c.pdf")}).status_code == 303
    assert len(_rows(entry_id)) == 3


def test_default_caps_come_from_the_environment_settings(app):
    assert app.config["MAX_FILES_PER_REQUEST"] == 60 and app.config["MAX_FILES_PER_INDICATOR"] == 10


def test_the_same_file_twice_on_one_indicator_is_refused_with_a_word(app, client, world):
    client.login("canbo")
    entry_id = open_entry(client, world)
    assert save(client, entry_id, {}, files={"file-A.1": (io.BytesIO(PDF), "bien-ban.pdf")}).status_code == 303
    assert "(45 B)" in client.get(f"/unit/entries/{entry_id}").get_data(as_text=True)  # 9 + 18 + 12 + 6 bytes
    resp = save(client, entry_id, {}, files={"file-A.1": (io.BytesIO(PDF), "ban-sao.pdf")})
    assert resp.status_code == 422
    box = error_box(resp.get_data(as_text=True), "A.1")
    assert "Tệp “ban-sao.pdf”: Tệp này đã có trong chỉ tiêu (cùng nội dung với “bien-ban.pdf”)" in box
    # twice in the same request: one kept, one refused
    resp = save(client, entry_id, {}, files={"file-A.2": [(io.BytesIO(PNG), "anh.png"), (io.BytesIO(PNG), "anh2.png")]})
    assert "cùng nội dung với “anh.png”" in error_box(resp.get_data(as_text=True), "A.2")
    db.session.expire_all()
    assert [r.original_name for r in _rows(entry_id)] == ["bien-ban.pdf", "anh.png"]
    # the same content on another indicator is a different piece of evidence: accepted
    assert save(client, entry_id, {}, files={"file-A.3": (io.BytesIO(PDF), "bien-ban.pdf")}).status_code == 303


def test_each_file_input_states_and_accepts_its_indicators_types(client, world):
    client.login("canbo")
    entry_id = open_entry(client, world)
    html = client.get(f"/unit/entries/{entry_id}").get_data(as_text=True)
    a1 = re.search(r'<input type="file" id="file-A.1"[^>]*>', html).group(0)
    # A.1's framework allows pdf, png, jpeg (listed in the platform's order); the others get all five types
    assert 'accept=".pdf,application/pdf,.jpg,.jpeg,image/jpeg,.png,image/png"' in a1
    assert re.search(r'data-testid="types-A.1">Nhận: PDF, JPEG, PNG<', html)
    assert re.search(r'data-testid="types-A.2">Nhận: PDF, JPEG, PNG, DOCX, XLSX<', html)
    # a DOCX on A.1 is still refused by the server, whatever the browser lets through
    resp = save(client, entry_id, {}, files={"file-A.1": (io.BytesIO(docx_bytes()), "bao-cao.docx")})
    assert "chỉ nhận: PDF, JPEG, PNG" in error_box(resp.get_data(as_text=True), "A.1")


def test_deleting_another_units_file_answers_like_a_missing_file(app, client, world):
    other = Client(app.test_client())
    other.login("canbo2")
    other_entry = open_entry(other, world)
    save(other, other_entry, {}, files={"file-A.1": (io.BytesIO(PDF), "cua-phuong-khac.pdf")})
    [foreign] = _rows(other_entry)
    client.login("canbo")
    entry_id = open_entry(client, world)
    answers = []
    for file_id in (foreign.id, foreign.id + 1000):
        resp = save(client, entry_id, {}, files={"delete_file": str(file_id)})
        page = client.get(resp.headers["Location"]).get_data(as_text=True)
        answers.append((resp.status_code, re.findall(r'class="flash flash-danger"[^>]*>([^<]*)<', page)))
    assert answers[0] == answers[1] == (303, ["Không tìm thấy tệp."])
    db.session.expire_all()
    assert [r.original_name for r in _rows(other_entry)] == ["cua-phuong-khac.pdf"]  # untouched
