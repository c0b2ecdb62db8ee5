"""Builders for the admin feature's tests."""
from __future__ import annotations

import io
from datetime import date, timedelta
from html.parser import HTMLParser
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


class _FormReader(HTMLParser):
    """Every form of a page as a browser would send it untouched: text fields, textareas, the
    selected option of each select, ticked checkboxes and radios (lists of (name, value))."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[list[tuple[str, str]]] = []
        self._form: list[tuple[str, str]] | None = None
        self._select: str | None = None
        self._first_option: tuple[str, str] | None = None
        self._chosen = False
        self._option: str | None = None
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = []
        elif self._form is None or ("disabled" in a and tag in ("input", "select", "textarea")):
            return
        elif tag == "input" and a.get("name") and a.get("type", "text") not in ("submit", "button", "file", "reset"):
            if a.get("type") not in ("checkbox", "radio") or "checked" in a:
                self._form.append((a["name"], a.get("value", "on" if a.get("type") == "checkbox" else "")))
        elif tag == "select":
            self._select, self._first_option, self._chosen = a.get("name"), None, False
        elif tag == "option" and self._select:
            value = a.get("value")
            self._option = value
            if self._first_option is None and value is not None:
                self._first_option = (self._select, value)
            if "selected" in a and value is not None and not self._chosen:
                self._form.append((self._select, value))
                self._chosen = True
        elif tag == "textarea":
            self._textarea, self._text = a.get("name"), ""

    def handle_data(self, data):
        if self._textarea is not None:
            self._text += data

    def handle_endtag(self, tag):
        if tag == "form" and self._form is not None:
            self.forms.append(self._form)
            self._form = None
        elif tag == "select" and self._select:
            if not self._chosen and self._first_option and self._form is not None:
                self._form.append(self._first_option)
            self._select = None
        elif tag == "textarea" and self._textarea is not None and self._form is not None:
            self._form.append((self._textarea, self._text.removeprefix("\n")))
            self._textarea = None


def form_as_sent(html: str, field: str) -> dict:
    """The page's form that has ``field``, as a browser sends it when submitted untouched
    (a repeated name, e.g. ticked checkboxes, gives a list)."""
    reader = _FormReader()
    reader.feed(html)
    for pairs in reader.forms:
        if any(name == field for name, _v in pairs):
            out: dict = {}
            for name, value in pairs:
                if name in out:
                    out[name] = (out[name] if isinstance(out[name], list) else [out[name]]) + [value]
                else:
                    out[name] = value
            return out
    raise AssertionError(f"no form with a field {field!r}")
