"""Hand-made hostile files: XLSX packages written member by member, YAML alias bombs, deep JSON.

openpyxl would never write these (a lying dimension, an entity declaration, one sheet listed
ten times), so the XLSX parts are written as XML text and zipped here.
"""
from __future__ import annotations

import io
import zipfile

CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
{overrides}
</Types>"""
SHEET_CT = ('<Override PartName="/xl/worksheets/sheet{n}.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>')
ROOT_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Target="xl/workbook.xml"
 Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/>
</Relationships>"""
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RNS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
WS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
VALUES_HEADER = ("Mã đơn vị", "Tên đơn vị", "Mã chỉ tiêu", "Tên chỉ tiêu", "Loại giá trị", "Điểm tối đa",
                 "Giá trị", "Không áp dụng (x)", "Giải trình")


def col_letter(n: int) -> str:
    s = ""
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


def cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def row(r: int, values: list[str] | tuple[str, ...]) -> str:
    return f'<row r="{r}">' + "".join(cell(f"{col_letter(i)}{r}", v) for i, v in enumerate(values, start=1)) + "</row>"


def sheet_xml(rows_xml: str, dimension: str | None = None, prolog: str = "") -> str:
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>{prolog}'
            f'<worksheet xmlns="{MAIN}" xmlns:r="{RNS}">{dim}<sheetData>{rows_xml}</sheetData></worksheet>')


def values_header_row() -> str:
    return row(1, VALUES_HEADER)


def xlsx(sheets: list[tuple[str, str]], *, listed: list[tuple[str, int]] | None = None,
         extra: dict[str, bytes | str] | None = None, level: int = 6, overrides: str = "") -> bytes:
    """A package with the given (title, sheet XML); ``listed`` overrides the workbook's sheet list
    as (title, index of the part it points to)."""
    listed = listed if listed is not None else [(title, i) for i, (title, _x) in enumerate(sheets, start=1)]
    book = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="{MAIN}" xmlns:r="{RNS}"><sheets>'
            + "".join(f'<sheet name="{title}" sheetId="{k}" r:id="rId{i}"/>' for k, (title, i) in enumerate(listed, start=1))
            + "</sheets></workbook>")
    rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            + "".join(f'<Relationship Id="rId{i}" Type="{WS_REL}" Target="worksheets/sheet{i}.xml"/>'
                      for i in range(1, len(sheets) + 1))
            + "</Relationships>")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as zf:
        zf.writestr("[Content_Types].xml",
                    CONTENT_TYPES.format(overrides=overrides + "".join(SHEET_CT.format(n=i) for i in range(1, len(sheets) + 1))))
        zf.writestr("_rels/.rels", ROOT_RELS)
        zf.writestr("xl/workbook.xml", book)
        zf.writestr("xl/_rels/workbook.xml.rels", rels)
        for i, (_title, xml) in enumerate(sheets, start=1):
            zf.writestr(f"xl/worksheets/sheet{i}.xml", xml)
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return buf.getvalue()


def values_xlsx(rows_xml: str, dimension: str | None = None, prolog: str = "") -> bytes:
    """A ``Giá trị`` sheet with the template's header and the given rows."""
    return xlsx([("Giá trị", sheet_xml(values_header_row() + rows_xml, dimension, prolog))])


BILLION_LAUGHS = ('<!DOCTYPE lolz [<!ENTITY lol "lol">'
                  + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
                  + "]>")
XXE = '<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'


def alias_bomb(levels: int = 7, width: int = 10) -> str:
    """The ~1 KB YAML of the probe: each level lists the previous one ``width`` times."""
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    lines.append(f"code: bomb\nname: {{vi: Bom}}\nscale: 100\ngroups: *a{levels}")
    return "\n".join(lines) + "\n"


def deep_json(depth: int) -> str:
    return "[" * depth + "]" * depth


SHARED_STRINGS_CT = ('<Override PartName="/xl/sharedStrings.xml" '
                     'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>')


# --------------------------------------------------------------------------- mutation strategies (Hypothesis)

HOSTILE_SNIPPETS = [
    b'<dimension ref="A1:XFD1048576"/>', b'<row r="1048576">', b'<row r="99999999999999999999">', b'r="XFD1"',
    b'<c r="A2" t="s"><v>999999</v></c>', b'<c r="A2" t="n"><v>1e999</v></c>', b'<c r="A2" t="d"><v>9999-99-99</v></c>',
    BILLION_LAUGHS.encode(), XXE.encode(), b"&lol9;", b"\x00", b"\xff\xfe", b"]]>", b"<!--", b"<sheet ", b"<si>",
    b"*a1", b"&a1 ", b"[[[[[[[[", b'"\\u0000"', b"NaN", b"1e309", b"9" * 5000,
]


def mutations(draw, st, data: bytes) -> bytes:
    """One to three byte-level mutations: flip, delete, duplicate, truncate or splice a hostile snippet."""
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 3))):
        if not out:
            out += draw(st.binary(min_size=1, max_size=16))
            continue
        at = draw(st.integers(0, len(out) - 1))
        op = draw(st.sampled_from(["flip", "delete", "duplicate", "truncate", "splice", "bytes"]))
        if op == "flip":
            out[at] ^= 1 << draw(st.integers(0, 7))
        elif op == "delete":
            del out[at: at + draw(st.integers(1, 64))]
        elif op == "duplicate":
            out[at:at] = out[at: at + draw(st.integers(1, 256))] * draw(st.integers(1, 8))
        elif op == "truncate":
            del out[at:]
        elif op == "splice":
            out[at:at] = draw(st.sampled_from(HOSTILE_SNIPPETS))
        else:
            out[at:at] = draw(st.binary(min_size=1, max_size=32))
    return bytes(out)


def mutate_zip_member(draw, st, data: bytes) -> bytes:
    """Mutate one member of a zip package (XML-aware fuzzing: the zip itself stays valid)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    names = src.namelist()
    target = draw(st.sampled_from(names))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in names:
            body = src.read(name)
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))  # same bytes on every replay
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, mutations(draw, st, body) if name == target else body)
    return buf.getvalue()
