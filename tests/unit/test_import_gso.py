"""Parsing GSO unit lists (.xls and .xlsx) and unit/cluster CSVs, good and broken files."""
from __future__ import annotations

from collections import Counter

import pytest

from campaign.importers import ImportFormatError
from campaign.importers.csv_units import parse_clusters_csv, parse_units_csv
from campaign.importers.gso import district_kind, parse_gso
from campaign.models import UNIT_LEVELS
from tests.admin_helpers import GSO_HEADER, SMALL_GSO, gso_bytes, gso_xlsx


def test_real_gso_file_has_30_districts_and_584_communes():
    rows = parse_gso(gso_bytes(), "gso_hanoi_units_2017-10.xls")
    assert len(rows) == 584
    assert not [r for r in rows if r.problem]
    assert Counter(r.kind for r in rows) == {"ward": 177, "commune": 386, "township": 21}
    districts = {r.district_code: r.district_kind for r in rows}
    assert len(districts) == 30
    assert Counter(districts.values()) == {"urban_district": 12, "rural_district": 17, "town": 1}
    first = rows[0]
    # codes keep their leading zeros, names their diacritics
    assert (first.city_code, first.district_code, first.code) == ("01", "001", "00001")
    assert (first.district_name, first.name) == ("Quận Ba Đình", "Phường Phúc Xá")
    assert districts["269"] == "town" and districts["250"] == "rural_district"


def test_xlsx_with_numeric_codes_is_read_like_gso():
    data = gso_xlsx([["Thành phố Hà Nội", 1, "Quận Ba Đình", 1, "Phường Phúc Xá", 1, "Phường", "Phuc Xa Ward"]])
    [row] = parse_gso(data, "list.xlsx")
    assert (row.city_code, row.district_code, row.code) == ("01", "001", "00001")
    assert row.kind == "ward" and row.name_en == "Phuc Xa Ward"


def test_unknown_level_is_reported_per_row_not_fatal():
    rows = parse_gso(gso_xlsx(SMALL_GSO + [["Thành phố Hà Nội", "01", "Quận Ba Đình", "001", "Khu X", "99999",
                                            "Khu phố", ""]]), "x.xlsx")
    assert [r.problem is None for r in rows] == [True] * 5 + [False]
    assert "Khu phố" in rows[-1].problem


def test_wrong_columns_are_a_clear_error():
    header = ["Province", "Code"] + GSO_HEADER[2:]
    with pytest.raises(ImportFormatError) as exc:
        parse_gso(gso_xlsx(SMALL_GSO, header=header), "x.xlsx")
    assert "dòng 1 thiếu cột: Tỉnh Thành Phố, Mã TP" in exc.value.message


def test_empty_and_header_only_files():
    with pytest.raises(ImportFormatError, match="rỗng"):
        parse_gso(b"", "x.xls")
    with pytest.raises(ImportFormatError, match="tiêu đề"):
        parse_gso(gso_xlsx([]), "x.xlsx")


def test_broken_xlsx_and_xls():
    with pytest.raises(ImportFormatError, match=r"\.xlsx"):
        parse_gso(b"PK\x03\x04 this is not really a zip file", "x.xlsx")
    with pytest.raises(ImportFormatError, match=r"\.xls"):
        parse_gso(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "x.xls")
    with pytest.raises(ImportFormatError, match="không được hỗ trợ"):
        parse_gso(b"just some text", "x.txt")


def test_district_kind_by_name():
    assert district_kind("Quận Hoàn Kiếm") == "urban_district"
    assert district_kind("Huyện Ba Vì") == "rural_district"
    assert district_kind("Thị xã Sơn Tây") == "town"
    assert district_kind("Vùng lạ") is None


def test_units_csv_rows_and_problems():
    data = ("code,name,kind,parent_code,population\n"
            "001,Quận Ba Đình,urban_district,01,221893\n"
            "X1,Xã Thử,village,001,\n"
            ",Không mã,ward,001,\n"
            "X2,Xã Hai,commune,001,12a\n").encode("utf-8-sig")
    rows = parse_units_csv(data, tuple(UNIT_LEVELS))
    assert rows[0].problem is None and rows[0].parsed["population"] == 221893
    assert "village" in rows[1].problem
    assert "code" in rows[2].problem
    assert rows[3].problem and rows[3].row == 5


def test_units_csv_broken_files():
    with pytest.raises(ImportFormatError, match="name"):
        parse_units_csv(b"code,kind\n1,ward\n", tuple(UNIT_LEVELS))
    with pytest.raises(ImportFormatError, match="UTF-8"):
        parse_units_csv("code,name,kind\n1,Phường Á,ward\n".encode("cp1258", errors="replace") + b"\xff\xfe", tuple(UNIT_LEVELS))
    with pytest.raises(ImportFormatError):
        parse_units_csv(b"   \n", tuple(UNIT_LEVELS))


def test_clusters_csv_semicolon_and_roles():
    rows = parse_clusters_csv("cluster_code;cluster_name;unit_code;role\nCUM-1;Cụm 1;001;head\nCUM-1;;002;boss\n".encode())
    assert rows[0].problem is None and rows[0].values["role"] == "head"
    assert "boss" in rows[1].problem


def test_gso_import_reads_through_the_bounded_reader():
    """Issue 13.3: a list declaring a whole sheet, or carrying an entity bomb, is refused before parsing."""
    from tests.files_helpers import BILLION_LAUGHS, cell, row, sheet_xml, xlsx

    bomb = xlsx([("Sheet1", sheet_xml(row(1, GSO_HEADER) + f'<row r="1048576">{cell("A1048576", "x")}</row>',
                                      dimension="A1:XFD1048576"))])
    with pytest.raises(ImportFormatError, match="dòng"):
        parse_gso(bomb, "gso.xlsx")
    laughs = xlsx([("Sheet1", sheet_xml(row(1, GSO_HEADER) + row(2, ["&lol9;"] * 8), prolog=BILLION_LAUGHS))])
    with pytest.raises(ImportFormatError, match=r"Không đọc được tệp \.xlsx"):
        parse_gso(laughs, "gso.xlsx")
