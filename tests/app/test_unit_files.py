"""Evidence files: content-type detection, attacks, atomic storage, guarded downloads, shared hashes."""
from __future__ import annotations

import hashlib
import io
import os
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from campaign.extensions import db
from campaign.models import Assignment, Entry, EvidenceFile
from tests.unit_helpers import (
    GOOD,
    HTML,
    PDF,
    PNG,
    World,
    docx_bytes,
    error_box,
    field_value,
    open_entry,
    plain_zip_bytes,
    save,
    submit,
)

VN_NAME = "Báo cáo xã Đông Hòa.pdf"


@pytest.fixture
def world(factory):
    return World(factory)


def _files(entry_id=None):
    q = sa.select(EvidenceFile).order_by(EvidenceFile.id)
    if entry_id:
        q = q.where(EvidenceFile.entry_id == entry_id)
    db.session.expire_all()
    return list(db.session.scalars(q))


def _upload(client, entry_id, code, content, name, values=None):
    return save(client, entry_id, values or {"A.2": "10"}, files={f"file-{code}": (io.BytesIO(content), name)})


def _stored_names(app):
    return sorted(os.listdir(app.config["UPLOAD_FOLDER"]))


def test_pdf_is_stored_atomically_under_its_hash_with_vietnamese_name_kept(app, client, world):
    client.login("canbo")
    entry_id = open_entry(client, world)
    resp = _upload(client, entry_id, "A.1", PDF, VN_NAME)
    assert resp.status_code == 303
    [row] = _files(entry_id)
    sha = hashlib.sha256(PDF).hexdigest()
    assert row.sha256 == sha and row.storage_name == f"{sha}.pdf" and row.mime == "application/pdf"
    assert row.original_name == VN_NAME and row.size == len(PDF)
    assert _stored_names(app) == [f"{sha}.pdf"]  # no temporary file left behind
    with open(os.path.join(app.config["UPLOAD_FOLDER"], row.storage_name), "rb") as fh:
        assert fh.read() == PDF


def test_download_headers_attachment_utf8_name_type_and_nosniff(client, world):
    client.login("canbo")
    entry_id = open_entry(client, world)
    _upload(client, entry_id, "A.1", PDF, VN_NAME)
    [row] = _files(entry_id)
    resp = client.get(f"/unit/files/{row.id}")
    assert resp.status_code == 200 and resp.data == PDF
    cd = resp.headers["Content-Disposition"]
    assert cd.startswith("attachment;")
    assert "filename*=UTF-8''" + quote(VN_NAME) in cd  # 'Đông' survives (secure_filename would drop 'Đ')
    assert resp.headers["Content-Type"] == "application/pdf"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in resp.headers["Content-Security-Policy"]
    inline = client.get(f"/unit/files/{row.id}?inline=1")
    assert inline.headers["Content-Disposition"].startswith("inline;")


def test_html_renamed_pdf_is_refused(app, client, world):
    """Disguised type: HTML content with a .pdf name and a browser-claimed application/pdf."""
    client.login("canbo")
    entry_id = open_entry(client, world)
    resp = save(client, entry_id, {"A.2": "10"},
                files={"file-A.1": (io.BytesIO(HTML), "bao-cao.pdf", "application/pdf")})
    assert resp.status_code == 422
    assert "tệp đã bị từ chối" in error_box(resp.get_data(as_text=True), "A.1")
    assert field_value(resp.get_data(as_text=True), "A.2") == "10"  # the rest of the draft is kept
    assert _files(entry_id) == [] and _stored_names(app) == []


def test_zip_that_is_not_an_office_document_is_refused(app, client, world):
    client.login("canbo")
    entry_id = open_entry(client, world)
    resp = _upload(client, entry_id, "A.2", plain_zip_bytes(), "bang.xlsx")
    assert resp.status_code == 422 and _files(entry_id) == []


def test_docx_detected_from_content_but_not_allowed_where_framework_limits_types(client, world):
    client.login("canbo")
    entry_id = open_entry(client, world)
    # A.1 accepts pdf/png/jpeg only
    resp = _upload(client, entry_id, "A.1", docx_bytes(), "bao-cao.docx")
    assert resp.status_code == 422
    assert "DOCX không được phép" in error_box(resp.get_data(as_text=True), "A.1")
    # A.2 has no restriction: the configured types apply, and the docx is accepted
    assert _upload(client, entry_id, "A.2", docx_bytes(), "ke-hoach.docx").status_code == 303
    assert [f.mime for f in _files(entry_id)] == [
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"]


def test_configured_types_restrict_uploads(app, client, world):
    app.config["ALLOWED_EVIDENCE_TYPES"] = ("pdf",)
    client.login("canbo")
    entry_id = open_entry(client, world)
    assert _upload(client, entry_id, "A.1", PNG, "anh.png").status_code == 422
    assert _upload(client, entry_id, "A.1", PDF, "a.pdf").status_code == 303


def test_empty_file_is_refused(app, client, world):
    client.login("canbo")
    entry_id = open_entry(client, world)
    resp = _upload(client, entry_id, "A.1", b"", "rong.pdf")
    assert resp.status_code == 422
    assert "Tệp rỗng" in error_box(resp.get_data(as_text=True), "A.1")
    assert _files(entry_id) == [] and _stored_names(app) == []


def test_oversize_file_is_refused_with_friendly_message(app, client, world):
    app.config["MAX_UPLOAD_BYTES"] = 1024
    client.login("canbo")
    entry_id = open_entry(client, world)
    resp = _upload(client, entry_id, "A.1", PDF + b"0" * 2000, "lon.pdf")
    assert resp.status_code == 422
    assert "Tệp quá lớn" in error_box(resp.get_data(as_text=True), "A.1")
    assert _files(entry_id) == [] and _stored_names(app) == []


def test_request_over_max_content_length_gets_friendly_redirect(app, client, world):
    app.config["MAX_CONTENT_LENGTH"] = 4096
    client.login("canbo")
    entry_id = open_entry(client, world)
    page = f"http://localhost/unit/entries/{entry_id}"
    resp = save(client, entry_id, {"A.2": "10"}, files={"file-A.1": (io.BytesIO(PDF + b"0" * 8000), "x.pdf")},
                headers={"Referer": page})
    assert resp.status_code == 303 and resp.headers["Location"] == page
    assert "Tệp gửi lên quá lớn" in client.get(page).get_data(as_text=True)


@pytest.mark.parametrize("name,shown", [("../../etc/passwd.pdf", "passwd.pdf"),
                                        ("..\\..\\windows\\evil.pdf", "evil.pdf"),
                                        ("a\x00b.pdf", "ab.pdf"),
                                        ("..", "tep")])
def test_path_traversal_names_are_harmless(app, client, world, tmp_path, name, shown):
    client.login("canbo")
    entry_id = open_entry(client, world)
    assert _upload(client, entry_id, "A.1", PDF, name).status_code == 303
    [row] = _files(entry_id)
    assert row.original_name == shown
    assert row.storage_name == hashlib.sha256(PDF).hexdigest() + ".pdf"
    assert not (tmp_path / "etc").exists() and _stored_names(app) == [row.storage_name]


def test_several_files_per_indicator_and_delete(client, world):
    client.login("canbo")
    entry_id = open_entry(client, world)
    resp = save(client, entry_id, {"A.2": "10"},
                files={"file-A.1": [(io.BytesIO(PDF), "a.pdf"), (io.BytesIO(PNG), "b.png")]})
    assert resp.status_code == 303
    rows = _files(entry_id)
    assert [r.original_name for r in rows] == ["a.pdf", "b.png"]
    save(client, entry_id, {"A.2": "10"}, files={"delete_file": str(rows[0].id)})
    assert [r.original_name for r in _files(entry_id) if r.deleted_at is None] == ["b.png"]
    assert client.get(f"/unit/files/{rows[0].id}").status_code == 404


def test_file_counts_as_evidence_for_submission(client, world):
    client.login("canbo")
    entry_id = open_entry(client, world)
    resp = submit(client, entry_id, GOOD, files={"file-A.1": (io.BytesIO(PDF), "a.pdf")})
    assert resp.status_code == 303


def test_downloads_only_for_unit_assigned_judge_and_admin(app, client, factory, world):
    from tests.conftest import Client

    client.login("canbo")
    entry_id = open_entry(client, world)
    _upload(client, entry_id, "A.1", PDF, "a.pdf")
    [row] = _files(entry_id)
    judge = factory.user("judge", username="giamkhao")
    factory.user("judge", username="giamkhao2")
    db.session.add(Assignment(entry_id=entry_id, judge_id=judge.id))
    db.session.commit()
    expected = {"canbo": 200, "canbo2": 404, "giamkhao": 200, "giamkhao2": 404, "hoidong": 200}
    for username, status in expected.items():
        c = Client(app.test_client())
        c.login(username)
        assert c.get(f"/unit/files/{row.id}").status_code == status, username
    anon = Client(app.test_client())
    assert anon.get(f"/unit/files/{row.id}").status_code == 302  # to login


def test_same_file_used_by_two_units_is_flagged_to_the_commission(app, client, world):
    from tests.conftest import Client

    client.login("canbo")
    e1 = open_entry(client, world)
    _upload(client, e1, "A.1", PDF, "cua-toi.pdf")
    other = Client(app.test_client())
    other.login("canbo2")
    e2 = open_entry(other, world)
    _upload(other, e2, "A.1", PDF, "chep-lai.pdf")
    _upload(other, e2, "A.2", PNG, "rieng.png")
    admin = Client(app.test_client())
    admin.login("hoidong")
    html = admin.get(f"/admin/reporting/{world.campaign.id}").get_data(as_text=True)
    sha = hashlib.sha256(PDF).hexdigest()
    assert f'data-testid="shared-{sha[:12]}"' in html
    assert "cua-toi.pdf" in html and "chep-lai.pdf" in html
    assert hashlib.sha256(PNG).hexdigest()[:12] not in html


def test_failed_commit_leaves_no_row_and_the_orphan_is_swept(app, client, world, monkeypatch):
    """Crash between the file rename and the DB commit: no row appears; the sweeper removes the file."""
    import time

    from campaign.services.submissions import evidence

    client.login("canbo")
    entry_id = open_entry(client, world)

    def boom(*_a, **_k):
        raise RuntimeError("database went away")

    monkeypatch.setattr(evidence, "mark_stale", boom)  # fails after the file is written, before commit
    with pytest.raises(RuntimeError):
        app.config["PROPAGATE_EXCEPTIONS"] = True
        _upload(client, entry_id, "A.1", PDF, "a.pdf")
    db.session.rollback()
    assert _files() == []
    name = hashlib.sha256(PDF).hexdigest() + ".pdf"
    assert _stored_names(app) == [name]  # an orphan file, never a row without its file
    # a fresh orphan is kept during the grace period, an old one is removed
    assert evidence.sweep_orphans(3600) == []
    assert evidence.sweep_orphans(3600, now=time.time() + 7200) == [name]
    assert _stored_names(app) == []


def test_sweeper_keeps_referenced_files(app, client, world):
    import time

    from campaign.services.submissions import evidence

    client.login("canbo")
    entry_id = open_entry(client, world)
    _upload(client, entry_id, "A.1", PDF, "a.pdf")
    open(os.path.join(app.config["UPLOAD_FOLDER"], "notes.txt"), "w").close()  # not ours: untouched
    result = app.test_cli_runner().invoke(args=["sweep-uploads", "--hours", "0"])
    assert "0 orphan file(s) removed" in result.output
    assert evidence.sweep_orphans(0, now=time.time() + 10) == []
    assert sorted(_stored_names(app)) == sorted([hashlib.sha256(PDF).hexdigest() + ".pdf", "notes.txt"])


def test_judge_cannot_bypass_blind_mode_or_conflicts_through_unit_downloads(app, client, factory, world):
    """Judges of a blind campaign, or conflicted ones, must use the judging pages (renamed files)."""
    from tests.conftest import Client

    client.login("canbo")
    entry_id = open_entry(client, world)
    _upload(client, entry_id, "A.1", PDF, "bao-cao-phuong.pdf")
    [row] = _files(entry_id)
    judge = factory.user("judge", username="gk-blind")
    db.session.add(Assignment(entry_id=entry_id, judge_id=judge.id))
    world.campaign.settings = {**(world.campaign.settings or {}), "blind": True}
    db.session.commit()
    j = Client(app.test_client())
    j.login("gk-blind")
    resp = j.get(f"/unit/files/{row.id}")
    assert resp.status_code == 404
    assert "bao-cao-phuong" not in resp.get_data(as_text=True)
    assert j.get(f"/unit/entries/{entry_id}/versions").status_code == 404
    # not blind, but the judge works for the entry's own unit: a conflict of interest
    world.campaign.settings = {**world.campaign.settings, "blind": False}
    judge.unit_id = db.session.get(Entry, entry_id).unit_id
    db.session.commit()
    assert j.get(f"/unit/files/{row.id}").status_code == 404
