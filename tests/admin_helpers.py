"""Builders for the admin feature's tests."""
from __future__ import annotations

import io
from datetime import date, timedelta
from pathlib import Path

import pytest

from campaign.models.base import utcnow

GSO_FILE = Path("/work/shared/data/gso_hanoi_units_2017-10.xls")
GSO_HEADER = ["Tỉnh Thành Phố", "Mã TP", "Quận Huyện", "Mã QH", "Phường Xã", "Mã PX", "Cấp", "Tên Tiếng Anh"]


def gso_bytes() -> bytes:
    """The real GSO export (read in place, never copied into the repo); skip when absent."""
    if not GSO_FILE.exists():
        pytest.skip(f"{GSO_FILE} not available")
    return GSO_FILE.read_bytes()


def gso_xlsx(rows: list[list], header: list[str] | None = None) -> bytes:
    """A GSO-shaped .xlsx; codes may be given as numbers, as a spreadsheet program saves them."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(header or GSO_HEADER)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


SMALL_GSO = [
    ["Thành phố Hà Nội", "01", "Quận Ba Đình", "001", "Phường Phúc Xá", "00001", "Phường", ""],
    ["Thành phố Hà Nội", "01", "Quận Ba Đình", "001", "Phường Trúc Bạch", "00004", "Phường", ""],
    ["Thành phố Hà Nội", "01", "Huyện Sóc Sơn", "016", "Thị trấn Sóc Sơn", "04930", "Thị trấn", ""],
    ["Thành phố Hà Nội", "01", "Huyện Sóc Sơn", "016", "Xã Bắc Sơn", "04933", "Xã", ""],
    ["Thành phố Hà Nội", "01", "Thị xã Sơn Tây", "269", "Phường Lê Lợi", "09574", "Phường", ""],
]


def ready_campaign(factory, status: str = "draft", n_units: int = 2, **kw):
    """A campaign with a framework, participants, a future deadline and a period: ready to open."""
    units = [factory.unit("urban_district") for _ in range(n_units)]
    kw.setdefault("period_start", date(2018, 1, 1))
    kw.setdefault("period_end", date(2018, 12, 31))
    kw.setdefault("submission_deadline", utcnow() + timedelta(days=10))
    return factory.campaign(units=units, status=status, **kw), units


def admin_client(client, factory, username: str = "chief"):
    factory.user("admin", username=username)
    client.login(username)
    return client


@pytest.fixture
def request_ctx(app):
    """Services translate their messages, which needs a request context (as in a view or command)."""
    with app.test_request_context():
        yield
