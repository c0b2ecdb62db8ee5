"""Builders for the unit-workspace tests: a richer framework, a district with communes, form payloads."""
from __future__ import annotations

import io
import re
import zipfile

from campaign.extensions import db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde" + b"\x00" * 32
HTML = b"<!doctype html><html><body><script>alert(1)</script></body></html>"


def rich_framework(code: str = "fw-rich") -> dict:
    """60 + 40 points. Hand arithmetic:
    A.1 percentage linear 50→85 over 20 pts (67.5 → 10); A.2 number target ≥ 1000 → 10;
    A.3/A.4 counts 1 pt each up to 10 with A.3 ≤ A.4; A.5 yes/no 10 (NA allowed);
    B.1 choice judged good 20 / fair 12; B.2 free text judged 20 (judges decide)."""
    return {
        "format": "thidua-framework/1", "code": code, "scale": 100,
        "name": {"vi": "Khung giàu", "en": "Rich framework"},
        "groups": [
            {"code": "A", "name": {"vi": "Nhóm A", "en": "Group A"}, "kind": "regular", "max_points": 60, "children": [
                {"code": "A.1", "name": {"vi": "Tỷ lệ hộ dùng nước sạch", "en": "Clean water rate"}, "max_points": 20,
                 "value_type": "percentage", "unit": "%", "required": True,
                 "guidance": {"vi": "Theo báo cáo thống kê", "en": "Per the statistics report"},
                 "rule": {"kind": "linear", "floor": 50, "target": 85, "direction": "higher"},
                 "evidence": {"required": True, "file_types": ["pdf", "png", "jpeg"], "explanation_allowed": True}},
                {"code": "A.2", "name": {"vi": "Số tiền vận động (triệu đồng)", "en": "Funds raised"}, "max_points": 10,
                 "value_type": "number", "min": 0, "max": 100000, "required": True,
                 "rule": {"kind": "target", "target": 1000, "direction": "higher"}},
                {"code": "A.3", "name": {"vi": "Số hộ nghèo được hỗ trợ", "en": "Poor households supported"},
                 "max_points": 10, "value_type": "count", "rule": {"kind": "count", "per_item": 1},
                 "checks": [{"op": "<=", "other": "A.4",
                             "message": {"vi": "Số hộ được hỗ trợ không thể vượt tổng số hộ nghèo.",
                                         "en": "Supported households cannot exceed all poor households."}}]},
                {"code": "A.4", "name": {"vi": "Tổng số hộ nghèo", "en": "Poor households"}, "max_points": 10,
                 "value_type": "count", "rule": {"kind": "count", "per_item": 1}},
                {"code": "A.5", "name": {"vi": "Có quy chế dân chủ", "en": "Has democracy rules"}, "max_points": 10,
                 "value_type": "yes_no", "required": True, "na_allowed": True, "rule": {"kind": "yes_no"}},
            ]},
            {"code": "B", "name": {"vi": "Nhóm B", "en": "Group B"}, "kind": "regular", "max_points": 40, "children": [
                {"code": "B.1", "name": {"vi": "Chất lượng phong trào", "en": "Quality"}, "max_points": 20,
                 "value_type": "choice", "choices": [{"code": "good", "label": {"vi": "Tốt", "en": "Good"}},
                                                     {"code": "fair", "label": {"vi": "Khá", "en": "Fair"}}],
                 "rule": {"kind": "judged", "levels": [
                     {"code": "good", "points": 20, "descriptor": {"vi": "Tốt", "en": "Good"}},
                     {"code": "fair", "points": 12, "descriptor": {"vi": "Khá", "en": "Fair"}}]}},
                {"code": "B.2", "name": {"vi": "Mô tả mô hình tiêu biểu", "en": "Model description"}, "max_points": 20,
                 "value_type": "text", "rule": {"kind": "judged", "levels": [
                     {"code": "good", "points": 20, "descriptor": {"vi": "Tốt", "en": "Good"}}]}},
            ]},
        ],
    }


GOOD = {"A.1": "67,5", "A.2": "1.234,5", "A.3": "3", "A.4": "5", "A.5": "yes", "B.1": "fair", "B.2": "Mô hình hay"}
# 10 + 10 + 3 + 5 + 10 + 12 + 0 (judged later) = 50


class World:
    """A district with two communes, an officer each, and an open campaign on the rich framework."""

    def __init__(self, factory, **campaign_kw):
        self.factory = factory
        self.district = factory.unit("urban_district", name="Quận Ba Đình", code="D001")
        self.commune = factory.unit("ward", parent=self.district, name="Phường Điện Biên", code="W001")
        self.other = factory.unit("ward", parent=self.district, name="Phường Kim Mã", code="W002")
        self.officer = factory.user("officer", unit=self.commune, username="canbo")
        self.other_officer = factory.user("officer", unit=self.other, username="canbo2")
        self.admin = factory.user("admin", username="hoidong")
        self.campaign = factory.campaign(rich_framework(f"fw-rich-{id(self) % 100000}"),
                                         units=[self.commune, self.other], **campaign_kw)
        db.session.commit()


def open_entry(client, world) -> int:
    resp = client.get(f"/unit/campaigns/{world.campaign.id}/entry")
    assert resp.status_code == 302, resp.status_code
    return int(re.search(r"/unit/entries/(\d+)", resp.headers["Location"]).group(1))


def lock_version(client, entry_id: int) -> str:
    html = client.get(f"/unit/entries/{entry_id}").get_data(as_text=True)
    return re.search(r'name="lock_version"[^>]*value="(\d+)"', html).group(1)


def payload(values: dict, *, na: tuple = (), explanations: dict | None = None, codes=None, lock=None,
            action: str = "save") -> dict:
    """Form data like the browser sends: v-/na-/ex-<code> plus the list of codes on the form."""
    codes = list(codes if codes is not None else ["A.1", "A.2", "A.3", "A.4", "A.5", "B.1", "B.2"])
    data = {"codes": codes, "action": action}
    for code in codes:
        data[f"v-{code}"] = values.get(code, "")
    for code in na:
        data[f"na-{code}"] = "y"
    for code, text in (explanations or {}).items():
        data[f"ex-{code}"] = text
    if lock is not None:
        data["lock_version"] = str(lock)
    return data


def save(client, entry_id: int, values: dict, **kw):
    url = f"/unit/entries/{entry_id}"
    kw.setdefault("lock", lock_version(client, entry_id))
    files = kw.pop("files", None) or {}
    headers = kw.pop("headers", None)
    data = payload(values, **kw)
    data.update(files)
    return client.submit(url, data, content_type="multipart/form-data", headers=headers)


def error_box(html: str, code: str) -> str:
    """The messages shown on an indicator's card: under its value field, then under its explanation."""
    found = [re.search(r'data-testid="error-' + kind + re.escape(code) + r'"[^>]*>((?:\s*<div>.*?</div>)*)\s*</div>', html, re.S)
             for kind in ("", "more-")]
    return "".join(m.group(1) for m in found if m)


def field_value(html: str, code: str) -> str | None:
    m = re.search(r'<input[^>]*name="v-' + re.escape(code) + r'"[^>]*>', html)
    if m:
        v = re.search(r'value="([^"]*)"', m.group(0))
        return v.group(1) if v else ""
    m = re.search(r'<select[^>]*name="v-' + re.escape(code) + r'"[^>]*>(.*?)</select>', html, re.S)
    if m:
        v = re.search(r'<option selected value="([^"]*)"|<option value="([^"]*)" selected', m.group(1))
        return (v.group(1) or v.group(2)) if v else ""
    m = re.search(r'<textarea[^>]*name="v-' + re.escape(code) + r'"[^>]*>(.*?)</textarea>', html, re.S)
    return m.group(1).strip() if m else None


def docx_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", '<Types><Override PartName="/word/document.xml" ContentType="application/'
                   'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
        z.writestr("word/document.xml", "<w:document/>")
    return buf.getvalue()


def plain_zip_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("evil.html", HTML)
    return buf.getvalue()


def confirm(client, entry_id: int, resp):
    """Press “Xác nhận nộp” on the confirmation step ``resp`` (the answer to a "Nộp hồ sơ" press)."""
    html = resp.get_data(as_text=True)
    assert 'data-testid="confirm-submit-page"' in html, html[:3000]
    lock = re.search(r'name="lock_version"[^>]*value="(\d+)"', html).group(1)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    return client.post(f"/unit/entries/{entry_id}/submit", data={"csrf_token": token, "lock_version": lock})


def submit(client, entry_id: int, values: dict, **kw):
    """"Nộp hồ sơ" then, when the confirmation step comes, "Xác nhận nộp"; returns the last answer."""
    resp = save(client, entry_id, values, action="submit", **kw)
    if resp.status_code != 200:
        return resp
    return confirm(client, entry_id, resp)
