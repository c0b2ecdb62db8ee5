"""Framework library: YAML/JSON round trip, XLSX blank table, browser import/edit, templates."""
from __future__ import annotations

import io
import json

import openpyxl
import pytest
import sqlalchemy as sa
import yaml

from campaign.extensions import db
from campaign.models import Framework, FrameworkVersion, IndicatorNode
from campaign.services.errors import DomainError
from campaign.services.setup import framework_io
from tests.admin_helpers import admin_client, request_ctx  # noqa: F401
from tests.factories import small_framework

pytestmark = pytest.mark.usefixtures("request_ctx")


@pytest.mark.parametrize("code", ["ntm-2016", "mass-mobilization-2018", "dan-van-kheo"])
@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_round_trip_through_the_database_is_byte_identical(app, code, fmt):
    text = framework_io.dumps(framework_io.template_doc(code), fmt)
    version, created = framework_io.import_framework(text.encode(), f"{code}.{fmt}")
    assert created and version.version == 1
    exported, filename = framework_io.export_version(version.id, fmt)
    assert exported == text and filename == f"{code}-v1.{fmt}"
    # importing the export again is recognised as the same version, not a new one
    again, created = framework_io.import_framework(exported.encode(), filename)
    assert (again.id, created) == (version.id, False)
    # and the YAML equals the shipped file's content
    assert yaml.safe_load(text) == framework_io.template_doc(code)


def test_import_stores_one_node_row_per_node(app):
    version, _ = framework_io.import_framework(framework_io.dumps(framework_io.template_doc("ntm-2016")))
    nodes = db.session.scalars(sa.select(IndicatorNode).where(IndicatorNode.framework_version_id == version.id)).all()
    assert sum(1 for n in nodes if n.depth == 0) == 5
    assert sum(1 for n in nodes if n.depth == 1) == 19
    assert sum(n.max_points for n in nodes if n.is_indicator) == pytest.approx(100)


def test_changed_import_creates_next_version_and_keeps_the_old(app):
    doc = small_framework("fw-x")
    v1, _ = framework_io.import_framework(json.dumps(doc), "fw.json")
    doc["groups"][0]["children"][1]["max_points"] = 10
    doc["groups"][0]["children"][2]["max_points"] = 30
    v2, created = framework_io.import_framework(json.dumps(doc), "fw.json")
    assert created and (v1.version, v2.version) == (1, 2)
    assert db.session.get(FrameworkVersion, v1.id).document["groups"][0]["children"][1]["max_points"] == 20


@pytest.mark.parametrize("text, message", [
    ("", "rỗng"),
    ("groups: [unclosed", "Không đọc được"),
    ("- just\n- a list\n", "mapping"),
    (json.dumps({**small_framework(), "scale": -5}), "scale"),
])
def test_broken_framework_files_are_refused(app, text, message):
    with pytest.raises(DomainError, match=message):
        framework_io.import_framework(text, "x.yaml")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Framework)) == 0


def test_blank_scoring_table_xlsx(app):
    data = framework_io.blank_scoring_table(framework_io.template_doc("mass-mobilization-2018"))
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    header = [c.value for c in ws[framework_io.XLSX_HEADER_ROW]]
    assert header == ["STT", "Nội dung", "Điểm tối đa", "Điểm tự chấm", "Điểm thẩm định", "Ghi chú"]
    rows = list(ws.iter_rows(min_row=framework_io.XLSX_HEADER_ROW + 1, values_only=True))
    by_code = {r[0]: r for r in rows if r[0]}
    assert by_code["I"][2] == 150 and by_code["II.1"][2] == 80
    assert by_code["VII.1"][2] == -8          # deductions shown negative
    assert "50" in by_code["VI"][1]            # bonus group cap stated
    assert rows[-1][1] == "TỔNG CỘNG" and rows[-1][2] == 1000
    assert all(r[3] is None and r[4] is None for r in rows)  # self and appraisal columns blank
    assert "BẢNG CHẤM ĐIỂM" in ws["A1"].value


def test_browser_import_export_and_new_version(client, factory):
    admin_client(client, factory)
    text = framework_io.dumps(small_framework("fw-web"))
    r = client.submit("/admin/frameworks/import", {"file": (io.BytesIO(text.encode()), "fw-web.yaml")},
                      page="/admin/frameworks", content_type="multipart/form-data")
    assert r.status_code == 303
    fw = db.session.scalar(sa.select(Framework).where(Framework.code == "fw-web"))
    version = fw.versions[0]
    r = client.get(f"/admin/framework-versions/{version.id}/export.yaml")
    assert r.status_code == 200 and r.get_data(as_text=True) == text
    assert "attachment" in r.headers["Content-Disposition"]
    r = client.get(f"/admin/framework-versions/{version.id}/export.xlsx")
    ws = openpyxl.load_workbook(io.BytesIO(r.data)).active
    assert ws.cell(framework_io.XLSX_HEADER_ROW, 1).value == "STT"
    # edit in the library: a new version, the old one untouched
    edited = text.replace("Khung thử nghiệm", "Khung thử nghiệm (sửa)")
    page = f"/admin/frameworks/{fw.id}"
    r = client.submit(page, {"document": edited})
    assert r.status_code == 303
    assert [v.version for v in framework_io.framework_versions(fw.id)] == [2, 1]
    # changing the code in the editor is refused
    r = client.submit(page, {"document": edited.replace("code: fw-web", "code: other")})
    assert r.status_code == 400 and "Mã bộ tiêu chí phải giữ nguyên" in r.get_data(as_text=True)


def test_browser_import_of_invalid_framework_shows_problems(client, factory):
    admin_client(client, factory)
    bad = small_framework("bad")
    bad["groups"][0]["children"][0]["rule"]["kind"] = "magic"
    r = client.submit("/admin/frameworks/import", {"file": (io.BytesIO(json.dumps(bad).encode()), "bad.json")},
                      page="/admin/frameworks", content_type="multipart/form-data")
    html = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "unknown rule kind" in html


def test_template_pages_and_downloads(client, factory):
    admin_client(client, factory)
    html = client.get("/admin/frameworks").get_data(as_text=True)
    for code in ("ntm-2016", "civilized-urban", "codes-of-conduct-2018", "mass-mobilization-2018",
                 "civilized-lifestyle", "poverty-reduction", "dan-van-kheo"):
        assert f'data-testid="use-{code}"' in html
    html = client.get("/admin/framework-templates/ntm-2016").get_data(as_text=True)
    assert "Tiêu chí 15 – Y tế" in html and 'data-testid="assumptions"' in html
    r = client.get("/admin/framework-templates/ntm-2016/export.json")
    assert json.loads(r.data)["code"] == "ntm-2016"
    assert client.get("/admin/framework-templates/nope/export.yaml").status_code == 404
