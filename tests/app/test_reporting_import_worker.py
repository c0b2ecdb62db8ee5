"""The commission's large values import runs in the worker: progress page, then the same report."""
from __future__ import annotations

import io
import time

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from campaign.extensions import db
from campaign.models import Entry, IndicatorNode, IndicatorValue
from campaign.services.results import queue
from tests.conftest import Client
from tests.unit_helpers import World


@pytest.fixture
def world(app, factory):
    app.config["VALUES_IMPORT_INLINE_BYTES"] = 0  # every file goes to the worker (the real bound is 64 KB)
    return World(factory)


@pytest.fixture
def admin(app, world):
    c = Client(app.test_client())
    c.login("hoidong")
    return c


def _template(admin, world):
    resp = admin.get(f"/admin/reporting/{world.campaign.id}/template.xlsx")
    assert resp.status_code == 200
    return load_workbook(io.BytesIO(resp.data))


def _set(ws, unit, code, value):
    for row in ws.iter_rows(min_row=2):
        if row[0].value == unit and row[2].value == code:
            row[6].value = value
            return
    raise KeyError((unit, code))


def _upload(admin, world, wb):
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    return admin.submit(f"/admin/reporting/{world.campaign.id}/import", {"workbook": (buf, "ha-noi.xlsx")},
                        page=f"/admin/reporting/{world.campaign.id}", content_type="multipart/form-data")


def _wait_finished(admin, world) -> dict:
    """Poll the status route as the page's script does, until the worker has finished (bounded)."""
    for _ in range(600):
        state = admin.get(f"/admin/reporting/{world.campaign.id}/import/status.json").get_json()
        if state["status"] not in ("queued", "running"):
            return state
        time.sleep(0.05)
    raise AssertionError(f"the import did not finish: {state}")


def _stored(unit_id):
    db.session.expire_all()
    rows = db.session.execute(sa.select(IndicatorNode.code, IndicatorValue.raw)
                              .join(IndicatorValue, IndicatorValue.indicator_id == IndicatorNode.id)
                              .join(Entry, Entry.id == IndicatorValue.entry_id).where(Entry.unit_id == unit_id)).all()
    db.session.rollback()  # end the read: an open SQLite read would hold up the worker's recompute at teardown
    return {code: raw for code, raw in rows if raw}


def test_large_file_is_imported_by_the_worker_with_a_progress_page(request, admin, world):
    wb = _template(admin, world)
    ws = wb["Giá trị"]
    _set(ws, "W002", "A.2", "2.500,75")  # accepted
    _set(ws, "W002", "A.1", "120")       # refused: a percentage above 100
    _set(ws, "W001", "A.3", "4")         # accepted
    ws.append(["XXX", "", "A.2", "", "", 10, "5", "", ""])  # refused: no such unit
    resp = _upload(admin, world, wb)
    # no worker yet: the request returns at once and the admin lands on the progress page
    assert resp.status_code == 303 and resp.headers["Location"].endswith(f"/admin/reporting/{world.campaign.id}/import")
    page = admin.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Đang nhập Excel" in page and "Đang chờ đến lượt xử lý" in page and "ha-noi.xlsx" in page
    assert 'data-testid="import-bar"' in page and "Làm mới" in page and 'http-equiv="refresh"' in page
    assert admin.get(f"/admin/reporting/{world.campaign.id}/import/status.json").get_json() == {
        "status": "queued", "phase": "queued", "percent": 0, "read": 0, "saved": 0, "total": 0}
    assert _stored(world.other.id) == {}  # nothing saved before the worker runs

    request.getfixturevalue("celery_worker")
    state = _wait_finished(admin, world)
    # 14 template rows + the XXX row = 15 rows read and processed
    assert state == {"status": "done", "phase": "done", "percent": 100, "read": 15, "saved": 15, "total": 15}
    html = admin.get(f"/admin/reporting/{world.campaign.id}/import").get_data(as_text=True)
    assert "Kết quả nhập Excel" in html
    assert "Nhận 2 ô, từ chối 2 ô" in html
    assert "Tỷ lệ phải từ 0 đến 100%" in html and "Không có đơn vị mã" in html
    assert _stored(world.other.id)["A.2"] == "2.500,75" and "A.1" not in _stored(world.other.id)
    assert _stored(world.commune.id)["A.3"] == "4"


def test_a_malformed_large_file_saves_nothing_and_shows_the_error(request, admin, world):
    wb = _template(admin, world)
    ws = wb["Giá trị"]
    _set(ws, "W002", "A.2", "2.500,75")
    ws.append(["W002", "", "Z.9", "", "", 10, "5", "", ""])  # an indicator the framework does not have
    request.getfixturevalue("celery_worker")
    assert _upload(admin, world, wb).status_code == 303
    assert _wait_finished(admin, world)["status"] == "failed"
    html = admin.get(f"/admin/reporting/{world.campaign.id}/import").get_data(as_text=True)
    assert "không có giá trị nào được lưu" in html and "mã chỉ tiêu “Z.9” không có trong bộ tiêu chí" in html
    assert _stored(world.other.id) == {}


def test_a_second_upload_while_one_runs_is_refused(admin, world):
    wb = _template(admin, world)
    _set(wb["Giá trị"], "W002", "A.2", "7")
    assert _upload(admin, world, wb).status_code == 303  # queued; no worker in this test
    again = _upload(admin, world, wb)
    assert again.status_code == 409
    assert "vẫn đang được nhập; hãy chờ nó xong rồi gửi tiếp" in again.get_data(as_text=True)
    assert admin.get(f"/admin/reporting/{world.campaign.id}/import/status.json").get_json()["status"] == "queued"


def test_broker_down_gives_a_clear_message_and_keeps_no_job(admin, world, monkeypatch):
    def down(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(queue, "send", down)
    wb = _template(admin, world)
    _set(wb["Giá trị"], "W002", "A.2", "7")
    resp = _upload(admin, world, wb)
    assert resp.status_code == 503
    assert "Hệ thống xử lý nền đang tạm ngừng" in resp.get_data(as_text=True)
    assert admin.get(f"/admin/reporting/{world.campaign.id}/import/status.json").get_json()["status"] == "none"
    assert _stored(world.other.id) == {}


def test_only_admins_see_the_import_status(client, world):
    client.login("canbo")
    assert client.get(f"/admin/reporting/{world.campaign.id}/import/status.json").status_code == 403


def test_a_file_above_the_upload_cap_is_refused_before_anything_is_stored(app, admin, world):
    app.config["MAX_UPLOAD_BYTES"] = 1024 * 1024
    blob = io.BytesIO(b"PK" + b"\0" * (1024 * 1024 + 10))  # 1 MB + 12 bytes: over the 1 MB cap
    resp = admin.submit(f"/admin/reporting/{world.campaign.id}/import", {"workbook": (blob, "qua-lon.xlsx")},
                        page=f"/admin/reporting/{world.campaign.id}", content_type="multipart/form-data")
    assert resp.status_code == 400
    assert "Tệp lớn hơn 1 MB; không có giá trị nào được lưu." in resp.get_data(as_text=True)
    assert admin.get(f"/admin/reporting/{world.campaign.id}/import/status.json").get_json()["status"] == "none"
