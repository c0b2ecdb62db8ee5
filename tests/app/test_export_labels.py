"""The commission's results export (CSV and XLSX) names each board's level in words, as the results page does
("Cấp huyện", "Cấp xã"; "District level", "Commune level" in English), never its number; the file is named in the
same Vietnamese words as the rest of its name: "tam-tinh" (provisional), "chinh-thuc" (official), "so-ket" (mid-term)."""
from __future__ import annotations

import csv
import io
import re

from openpyxl import load_workbook

from campaign.extensions import db
from tests.public_helpers import publish


def _rows(client, url: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(client.get(url).get_data().decode("utf-8-sig"))))


def _filename(response) -> str:
    return re.search(r'filename="?([^";]+)', response.headers["Content-Disposition"]).group(1)


def test_the_level_column_reads_as_the_page_names_it(client, factory):
    admin = factory.user("admin", username="qt")
    district = factory.unit(code="001", name="Quận Ba Đình")
    ward = factory.unit("ward", parent=district, code="00004", name="Phường Trúc Bạch")
    camp = factory.campaign(units=[district, ward], slug="cap-bac")
    run = publish(camp, [(district, 90, 1, {"I": 50})], level=2)
    publish(camp, [(ward, 80, 1, {"I": 40})], level=3, published=False, kind="provisional")
    db.session.commit()
    client.login(admin.username)
    csv_url = f"/admin/results/{camp.id}/export?format=csv&run={run.id}"
    header, row = _rows(client, csv_url)[:2]
    assert header[0] == "Cấp" and row[0] == "Cấp huyện" and row[4] == "001"
    provisional = _rows(client, f"/admin/results/{camp.id}/export?format=csv")
    assert [r[0] for r in provisional[1:]] == ["Cấp xã"]
    sheet = load_workbook(io.BytesIO(client.get(f"/admin/results/{camp.id}/export?format=xlsx&run={run.id}").data)).active
    assert sheet.cell(row=2, column=1).value == "Cấp huyện"
    client.post("/lang/en", data={"next": "/"})
    assert _rows(client, csv_url)[1][0] == "District level"
    assert _rows(client, f"/admin/results/{camp.id}/export?format=csv")[1][0] == "Commune level"


def test_file_names_use_vietnamese_words_for_the_runs_kind(client, factory):
    admin = factory.user("admin", username="qt")
    unit = factory.unit(code="001", name="Quận Ba Đình")
    camp = factory.campaign(units=[unit], slug="ten-tep")
    official = publish(camp, [(unit, 90, 1, {"I": 50})])
    midterm = publish(camp, [(unit, 70, 1, {"I": 40})], kind="midterm")
    provisional = publish(camp, [(unit, 80, 1, {"I": 45})], kind="provisional", published=False)
    db.session.commit()
    client.login(admin.username)
    base = f"/admin/results/{camp.id}/export"
    assert _filename(client.get(f"{base}?format=csv")) == f"ket-qua-ten-tep-tam-tinh-{provisional.id}.csv"
    assert _filename(client.get(f"{base}?format=xlsx&run={official.id}")) == f"ket-qua-ten-tep-chinh-thuc-{official.id}.xlsx"
    assert _filename(client.get(f"{base}?format=csv&run={midterm.id}")) == f"ket-qua-ten-tep-so-ket-{midterm.id}.csv"
    client.post("/lang/en", data={"next": "/"})  # the same name in English: one name per file, whoever downloads it
    assert _filename(client.get(f"{base}?format=csv")) == f"ket-qua-ten-tep-tam-tinh-{provisional.id}.csv"
