"""Blind mode (issue 13, finding 5): nothing a judge of a blind campaign receives names the unit."""
from __future__ import annotations

import hashlib
import io
import os
import re
import zipfile

from pypdf import PdfReader, PdfWriter
from pypdf.generic import DecodedStreamObject, NameObject

from campaign.extensions import db
from campaign.models import Assignment, ClarificationRequest, ConflictDeclaration, EvidenceFile
from tests.judging_helpers import add_panel, set_values

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _ward_setup(factory):
    """A blind ward campaign: "Phường 1 – Ba Đình" (code 00001) of "Quận Ba Đình", and a second ward."""
    city = factory.unit("city", name="Thành phố Hà Nội")
    district = factory.unit("urban_district", parent=city, name="Quận Ba Đình", name_en="Ba Dinh District", code="001")
    ward = factory.unit("ward", parent=district, name="Phường 1 – Ba Đình", name_en="Ward 1, Ba Dinh", code="00001")
    other = factory.unit("ward", parent=district, name="Phường Phúc Xá", code="00004")
    campaign = factory.campaign(units=[ward, other], status="appraisal", settings={"blind": True})
    entries = [factory.entry(campaign, u, status="submitted", blind_code=code)
               for u, code in ((ward, "04-0001"), (other, "04-0002"))]
    for e in entries:
        set_values(e, campaign)
    judge = factory.user("judge", username="gk")
    add_panel(campaign, [judge])
    for e in entries:
        db.session.add(Assignment(entry_id=e.id, judge_id=judge.id))
    db.session.commit()
    return campaign, ward, entries


def _store(app, entry, content: bytes, mime: str, original: str) -> EvidenceFile:
    sha = hashlib.sha256(content).hexdigest()
    os.makedirs(app.config["UPLOAD_FOLDER"], exist_ok=True)
    with open(os.path.join(app.config["UPLOAD_FOLDER"], sha), "wb") as fh:
        fh.write(content)
    f = EvidenceFile(entry_id=entry.id, indicator_id=entry.values[0].indicator_id, sha256=sha, size=len(content),
                     mime=mime, original_name=original, storage_name=sha)
    db.session.add(f)
    db.session.commit()
    return f


def _pdf_with_author() -> bytes:
    w = PdfWriter()
    w.add_blank_page(200, 200)
    w.add_metadata({"/Author": "Quan Ba Dinh", "/Title": "Bao cao UBND Phuong 1 Ba Dinh"})
    xmp = DecodedStreamObject()
    xmp.set_data(b"<x:xmpmeta><dc:creator>Quan Ba Dinh</dc:creator></x:xmpmeta>")
    w._root_object[NameObject("/Metadata")] = w._add_object(xmp)
    out = io.BytesIO()
    w.write(out)
    return out.getvalue()


def _docx_with_author() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", '<Types><Override ContentType="application/vnd.openxmlformats-'
                   'officedocument.wordprocessingml.document.main+xml" PartName="/word/document.xml"/></Types>')
        z.writestr("docProps/core.xml", '<cp:coreProperties xmlns:cp="c" xmlns:dc="d"><dc:creator>Quận Ba Đình'
                   "</dc:creator><cp:lastModifiedBy>UBND P1 Ba Đình</cp:lastModifiedBy></cp:coreProperties>")
        z.writestr("docProps/app.xml", "<Properties><Company>UBND Quận Ba Đình</Company></Properties>")
        z.writestr("word/document.xml", '<w:document xmlns:w="w"><w:body><w:ins w:author="Nguyễn Văn A (Ba Đình)">'
                   "<w:r><w:t>Báo cáo năm</w:t></w:r></w:ins></w:body></w:document>")
    return buf.getvalue()


def test_file_names_take_the_extension_of_the_sniffed_type(client, factory, app):
    campaign, ward, entries = _ward_setup(factory)
    f = _store(app, entries[0], _pdf_with_author(), "application/pdf", "bien-ban.Phuong 1 Ba Dinh")
    client.login("gk")
    page = client.get(f"/judging/entries/{entries[0].id}").get_data(as_text=True)
    assert re.search(rf'data-testid="file-{f.id}"[^>]*>04-0001-01.pdf<', page)
    assert "phuong" not in page.lower()
    resp = client.get(f"/judging/evidence/{f.id}")
    assert resp.status_code == 200
    assert resp.headers["Content-Disposition"] == "inline; filename=\"04-0001-01.pdf\"; filename*=UTF-8''04-0001-01.pdf"


def test_pdf_metadata_is_stripped_from_the_judges_copy_and_kept_in_the_original(client, factory, app):
    campaign, ward, entries = _ward_setup(factory)
    original = _pdf_with_author()
    f = _store(app, entries[0], original, "application/pdf", "bao-cao.pdf")
    client.login("gk")
    served = client.get(f"/judging/evidence/{f.id}").data
    assert b"Ba Dinh" not in served and b"/Author" not in served
    reader = PdfReader(io.BytesIO(served))
    assert len(reader.pages) == 1 and "/Metadata" not in reader.trailer["/Root"]
    assert not (reader.metadata or {}).get("/Author")
    with open(os.path.join(app.config["UPLOAD_FOLDER"], f.storage_name), "rb") as fh:
        assert fh.read() == original  # the commission keeps the file as uploaded


def test_docx_core_properties_and_authors_are_stripped(client, factory, app):
    campaign, ward, entries = _ward_setup(factory)
    f = _store(app, entries[0], _docx_with_author(), DOCX, "bao-cao Ba Đình.docx")
    client.login("gk")
    resp = client.get(f"/judging/evidence/{f.id}")
    assert resp.headers["Content-Disposition"].startswith("attachment;") and "04-0001-01.docx" in \
        resp.headers["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(resp.data)) as z:
        text = {name: z.read(name).decode() for name in z.namelist()}
    assert "Ba Đình" not in "".join(text.values()) and "P1" not in text["docProps/core.xml"]
    assert "<w:t>Báo cáo năm</w:t>" in text["word/document.xml"]  # the content itself is kept


def test_free_text_is_redacted_in_every_variant_of_the_name(client, factory, app):
    campaign, ward, entries = _ward_setup(factory)
    entry = entries[0]
    iv = entry.values[0]
    iv.explanation = "UBND P1 Ba Đình xác nhận; xem thêm Q. Ba Đình, quan ba dinh và mã 00001."
    entry.narrative = "Báo cáo của Ward 1, Ba Dinh năm nay"
    db.session.add(ClarificationRequest(entry_id=entry.id, indicator_codes=["I.1"],
                                        message="Phường 1 Ba Đình bổ sung quyết định",
                                        response="Phuong 1 - Ba Dinh đã bổ sung"))
    db.session.commit()
    client.login("gk")
    page = client.get(f"/judging/entries/{entry.id}").get_data(as_text=True)
    explanation = re.search(r'data-testid="explanation-I.1">([^<]*)<', page).group(1)
    assert explanation == "UBND 04-0001 xác nhận; xem thêm 04-0001, 04-0001 và mã 04-0001."
    assert re.search(r'data-testid="narrative">Báo cáo của 04-0001, 04-0001 năm nay<', page)
    clarification = re.sub(r"\s+", " ", re.search(r'data-testid="clarification">(.*?)</div>', page, re.S).group(1))
    assert "04-0001 bổ sung quyết định" in clarification and "04-0001 đã bổ sung" in clarification
    folded = page.lower()
    for leak in ("ba đình", "ba dinh", "phường 1", "phuong 1", "00001", "p1 "):
        assert leak not in folded, leak
    # ordinary words and numbers are left alone
    assert "xác nhận" in explanation and "mã" in explanation


def test_a_declared_conflict_does_not_reveal_which_blind_entry_it_hits(client, factory):
    campaign, ward, entries = _ward_setup(factory)
    client.login("gk")

    def seen() -> list[str]:
        pages = [client.get("/judging/")] + [client.get(f"/judging/entries/{e.id}") for e in entries]
        return [(r.status_code, re.sub(r'name="csrf_token"[^>]*>|value="[^"]*"', "", r.get_data(as_text=True)))
                for r in pages]

    before = seen()
    resp = client.submit("/judging/conflicts", {"unit_id": ward.id, "reason": "Người nhà công tác tại đây"})
    assert resp.status_code == 302
    assert db.session.query(ConflictDeclaration).count() == 1
    confirmation = client.get("/judging/conflicts").get_data(as_text=True)  # the same words whatever it hits
    assert "Nếu đơn vị này có hồ sơ được giao cho bạn, ban thi đua sẽ xem xét phân công lại." in confirmation
    after = seen()
    assert [s for s, _ in after] == [200, 200, 200]
    assert after == before  # the judge's pages are unchanged: no entry is singled out
    assert "xung đột" not in "".join(body for _, body in after[1:])
    # the commission sees the conflict on the assignment and can reassign it
    factory.user("admin", username="boss")
    db.session.commit()
    client.post("/logout", data={"csrf_token": client.csrf("/judging/")})
    client.login("boss")
    table = client.get(f"/judging/admin/campaigns/{campaign.id}/assignments").get_data(as_text=True)
    row = table[table.index(f'data-testid="entry-{entries[0].id}"'):table.index(f'data-testid="entry-{entries[1].id}"')]
    assert "Giám khảo tự khai báo xung đột" in row


def _jpeg_with_exif() -> bytes:
    """A minimal JPEG: SOI, JFIF APP0, EXIF APP1 naming the owner, a COM, a fake scan, EOI."""
    def segment(marker: int, body: bytes) -> bytes:
        return bytes([0xFF, marker]) + (len(body) + 2).to_bytes(2, "big") + body
    return (b"\xff\xd8" + segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
            + segment(0xE1, b"Exif\x00\x00Artist=Phuong 1 Ba Dinh GPS=21.03,105.83")
            + segment(0xFE, b"chup tai UBND Ba Dinh") + segment(0xDB, b"\x00" + bytes(64))
            + b"\xff\xda" + (8).to_bytes(2, "big") + b"\x01\x01\x00\x00\x3f\x00" + b"PIXELDATA" + b"\xff\xd9")


def _png_with_text() -> bytes:
    import zlib as _z

    def chunk(kind: bytes, body: bytes) -> bytes:
        return len(body).to_bytes(4, "big") + kind + body + _z.crc32(kind + body).to_bytes(4, "big")
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", (1).to_bytes(4, "big") * 2 + b"\x08\x02\x00\x00\x00")
            + chunk(b"tEXt", b"Author\x00UBND Phuong 1 Ba Dinh") + chunk(b"eXIf", b"MM\x00*GPS Ba Dinh")
            + chunk(b"IDAT", _z.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


def test_photo_exif_and_png_text_are_stripped_and_the_pixels_kept(client, factory, app):
    campaign, ward, entries = _ward_setup(factory)
    jpeg = _store(app, entries[0], _jpeg_with_exif(), "image/jpeg", "anh Ba Dinh.jpg")
    png = _store(app, entries[0], _png_with_text(), "image/png", "so-do.png")
    client.login("gk")
    served_jpeg = client.get(f"/judging/evidence/{jpeg.id}").data
    assert b"Ba Dinh" not in served_jpeg and b"Exif" not in served_jpeg and b"GPS" not in served_jpeg
    assert served_jpeg.startswith(b"\xff\xd8\xff\xe0") and served_jpeg.endswith(b"PIXELDATA\xff\xd9")
    served_png = client.get(f"/judging/evidence/{png.id}").data
    assert b"Ba Dinh" not in served_png and b"tEXt" not in served_png and b"eXIf" not in served_png
    assert b"IDAT" in served_png and served_png.endswith(b"IEND\xaeB`\x82")
    with open(os.path.join(app.config["UPLOAD_FOLDER"], jpeg.storage_name), "rb") as fh:
        assert b"Artist=Phuong 1 Ba Dinh" in fh.read()  # the commission keeps the original
