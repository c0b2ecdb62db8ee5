"""Blind judging: what a judge of a blind campaign may see of an entry.

Three leaks are closed here (issue 13, finding 5):
* free text (explanations, narrative, clarification messages and answers) names the unit in
  many ways — with or without diacritics, "Q. Ba Đình", "P1", the district of a ward, the
  unit code — so every variant is replaced by the entry's blind code, not only the exact name;
* a file keeps its uploaded name or extension ("bien-ban.Phuong 1 Ba Dinh"): judges get
  ``<blind code>-NN.<extension of the sniffed type>``;
* PDF and Office files carry the author and organisation in their metadata, photos their
  camera owner, GPS position and editing software: judges are served a copy without it (pypdf
  for PDF; docProps and author attributes for Office zips; EXIF/XMP/IPTC segments and comments
  of JPEG, text/EXIF/time chunks of PNG, dropped byte by byte so the pixels are untouched).
  The uploaded original is kept untouched for the commission.
"""
from __future__ import annotations

import os
import re
import tempfile
import unicodedata
import zipfile
import zlib
from collections.abc import Iterable

from flask_babel import gettext as _
from pypdf import PdfReader, PdfWriter
from pypdf.errors import PyPdfError
from pypdf.generic import NameObject, TextStringObject

from campaign.models import Entry, EvidenceFile, Unit
from campaign.services.errors import DomainError

# sniffed MIME type (EvidenceFile.mime) -> extension served to judges
EXTENSIONS = {
    "application/pdf": "pdf",
    "image/jpeg": "jpg",
    "image/png": "png",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
}
OFFICE = ("docx", "xlsx")
STRIP_VERSION = "s2"  # part of the cached copy's name: bump when the stripping changes
MAX_PART_BYTES = 64 * 1024 * 1024  # an Office part bigger than this unpacked is not rewritten

# Administrative words before (or, in English, after) a unit's own name, longest first.
KIND_WORDS = ("thanh pho", "thi tran", "thi xa", "tinh", "quan", "huyen", "phuong", "xa", "ubnd",
              "tp", "tx", "tt", "q", "h", "p", "x", "f",
              "province", "city", "district", "town", "township", "ward", "commune")
_SEP = r"[\s._\-–—,:/]*"
_WORD = "0-9a-z"


def served_name(entry: Entry, f: EvidenceFile, n: int) -> str:
    """``<blind code>-NN.<ext>``; the extension comes from the sniffed type, never the upload."""
    return f"{entry.blind_code}-{n:02d}.{EXTENSIONS.get(f.mime, 'bin')}"


# --------------------------------------------------------------------------- text

def _fold_char(ch: str) -> str:
    if ch in "đĐ":
        return "d"
    low = unicodedata.normalize("NFD", ch)[0].lower()
    return low if len(low) == 1 else ch


def fold(text: str) -> str:
    """Lower case without diacritics, one character for each character of ``text`` (NFC)."""
    return "".join(_fold_char(ch) for ch in text)


def _parts(name: str) -> list[list[str]]:
    """Word lists of a name's parts: "Phường 1 – Ba Đình (demo)" -> [[phuong, 1], [ba, dinh]]."""
    name = re.sub(r"\(.*?\)", " ", fold(unicodedata.normalize("NFC", name)))
    out = []
    for part in re.split(r"\s[-–—]\s|,|;", name):
        words = re.findall(rf"[{_WORD}]+", part)
        if words:
            out.append(words)
    return out


def _part_patterns(words: list[str]) -> list[str]:
    kinds = "|".join(re.escape(k).replace(r"\ ", _SEP) for k in KIND_WORDS)
    prefix = rf"(?:(?:{kinds})\.?{_SEP})"
    i = 0
    while i < len(words) and (" ".join(words[: i + 1]) in KIND_WORDS or words[i] in KIND_WORDS):
        i += 1
    j = len(words)
    while j > i and words[j - 1] in KIND_WORDS:  # "Ba Dinh District"
        j -= 1
    core = words[i:j]
    if not core:
        return []
    body = _SEP.join(re.escape(w) for w in core)
    if len(core) >= 2 and not any(w.isdigit() for w in core):
        patterns = [f"{prefix}?{body}"]
        patterns.append(prefix + _SEP.join(w[0] for w in core))  # "Q.BĐ"
    else:  # "1" or "Minh" alone would hit ordinary words and numbers: only with a prefix
        patterns = [prefix + body]
    return patterns


def name_patterns(unit: Unit) -> re.Pattern | None:
    """One regex (over folded text) for every way free text may name ``unit``."""
    units = [unit]
    if unit.level >= 3 and unit.parent is not None:
        units.append(unit.parent)  # a ward's district narrows it to a handful
    alternatives: list[str] = []
    for u in units:
        for name in (u.name, u.name_en):
            for words in _parts(name or ""):
                alternatives.extend(_part_patterns(words))
        if u.code:
            alternatives.append(re.escape(fold(u.code)))
    if not alternatives:
        return None
    alternatives.sort(key=len, reverse=True)
    return re.compile(rf"(?<![{_WORD}])(?:{'|'.join(alternatives)})(?![{_WORD}])")


def redact(text: str | None, pattern: re.Pattern | None, code: str) -> str:
    """``text`` with every match of ``pattern`` replaced by ``code`` (adjacent ones merged)."""
    text = unicodedata.normalize("NFC", text or "")
    if pattern is None or not text:
        return text
    folded = fold(text)
    out, last = [], 0
    for m in pattern.finditer(folded):
        gap = text[last:m.start()]
        if out and out[-1] == code and re.fullmatch(r"[\s\-–—]*", gap):
            last = m.end()  # "P1 Ba Đình" -> one code, not two
            continue
        out.extend([gap, code])
        last = m.end()
    out.append(text[last:])
    return "".join(out)


# --------------------------------------------------------------------------- files

def stripped_copy(f: EvidenceFile, original: str, cache_dir: str) -> str:
    """Path of a copy of ``original`` without author metadata (made once, then reused).

    A file that cannot be rewritten is not served at all: in a blind campaign an unreadable
    copy is better than a leaked name.
    """
    ext = EXTENSIONS.get(f.mime, "bin")
    if ext not in ("pdf", "jpg", "png") + OFFICE:
        return original
    os.makedirs(cache_dir, exist_ok=True)
    target = os.path.join(cache_dir, f"{f.sha256}.{STRIP_VERSION}.{ext}")
    if os.path.isfile(target):
        return target
    fd, tmp = tempfile.mkstemp(dir=cache_dir, prefix=".strip-")
    os.close(fd)
    try:
        if ext == "pdf":
            _strip_pdf(original, tmp)
        elif ext == "jpg":
            _strip_jpeg(original, tmp)
        elif ext == "png":
            _strip_png(original, tmp)
        else:
            _strip_office(original, tmp)
        os.replace(tmp, target)
    except (PyPdfError, zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, KeyError, RuntimeError) as exc:
        raise DomainError(_("Không tạo được bản ẩn danh của tệp này; hãy báo ban thi đua.")) from exc
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target


def _strip_pdf(src: str, dst: str) -> None:
    reader = PdfReader(src)
    if reader.is_encrypted:
        reader.decrypt("")
    writer = PdfWriter(clone_from=reader)
    writer.metadata = None
    root = writer._root_object
    for key in ("/Metadata", "/PieceInfo"):
        if key in root:
            del root[key]
    for page in writer.pages:
        for key in ("/Metadata", "/PieceInfo"):
            if key in page:
                del page[key]
        for annot in page.get("/Annots") or ():
            annot = annot.get_object()
            if "/T" in annot:  # the annotation's author
                annot[NameObject("/T")] = TextStringObject("")
    writer.compress_identical_objects(remove_duplicates=False, remove_unreferenced=True)
    with open(dst, "wb") as out:
        writer.write(out)


_EMPTY_CORE = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
               b'<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties"'
               b' xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/"'
               b' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"/>')
_EMPTY_APP = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
              b'<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"/>')
_EMPTY_CUSTOM = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                 b'<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"/>')
_REPLACED = {"docProps/core.xml": _EMPTY_CORE, "docProps/app.xml": _EMPTY_APP, "docProps/custom.xml": _EMPTY_CUSTOM}
# author attributes of tracked changes and comments (Word), comment authors and the saved
# path (Excel); values are blanked, the structure is kept so the file still opens
_SCRUB = [(re.compile(rb'(\sw:(?:author|initials)=")[^"]*(")'), rb"\1\2"),
          (re.compile(rb"(<author>)[^<]*(</author>)"), rb"\1\2"),
          (re.compile(rb'(<x15ac:absPath\s[^>]*url=")[^"]*(")'), rb"\1\2"),
          (re.compile(rb'(\sw15:(?:userId|providerId)=")[^"]*(")'), rb"\1\2")]


def _scrub(data: bytes) -> bytes:
    for pattern, repl in _SCRUB:
        data = pattern.sub(repl, data)
    return data


def _members(zin: zipfile.ZipFile) -> Iterable[zipfile.ZipInfo]:
    for info in zin.infolist():
        if info.file_size > MAX_PART_BYTES:
            raise ValueError(f"part too large: {info.filename}")
        yield info


def _strip_office(src: str, dst: str) -> None:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in _members(zin):
            name = info.filename
            fresh = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            fresh.compress_type = zipfile.ZIP_DEFLATED
            if name in _REPLACED:
                zout.writestr(fresh, _REPLACED[name])
            elif name.endswith(".xml") and name.startswith(("word/", "xl/")):
                zout.writestr(fresh, _scrub(zin.read(info)))
            else:
                with zin.open(info) as fin, zout.open(fresh, "w") as fout:
                    while chunk := fin.read(64 * 1024):
                        fout.write(chunk)


# JPEG markers kept: APP0 (JFIF), APP2 (ICC colour profile), APP14 (Adobe colour transform);
# dropped: APP1 (EXIF, XMP), APP3–APP13 (IPTC, Photoshop, vendor notes), APP15 and COM.
_JPEG_KEEP_APP = {0xE0, 0xE2, 0xEE}
_PNG_DROP = {b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"tIME"}


def _strip_jpeg(src: str, dst: str) -> None:
    with open(src, "rb") as fin, open(dst, "wb") as out:
        if fin.read(2) != b"\xff\xd8":
            raise ValueError("not a JPEG")
        out.write(b"\xff\xd8")
        while True:
            head = fin.read(2)
            if len(head) < 2 or head[0] != 0xFF:
                raise ValueError("broken JPEG segment")
            marker = head[1]
            while marker == 0xFF:  # fill bytes before a marker are allowed
                nxt = fin.read(1)
                if not nxt:
                    raise ValueError("truncated JPEG")
                marker = nxt[0]
            head = bytes([0xFF, marker])
            if marker == 0xDA:  # start of scan: the compressed image follows, copied as is
                out.write(head)
                while chunk := fin.read(64 * 1024):
                    out.write(chunk)
                return
            size_bytes = fin.read(2)
            if len(size_bytes) < 2:
                raise ValueError("truncated JPEG")
            body = fin.read(int.from_bytes(size_bytes, "big") - 2)
            dropped = marker == 0xFE or (0xE0 <= marker <= 0xEF and marker not in _JPEG_KEEP_APP)
            if not dropped:
                out.write(head + size_bytes + body)


def _strip_png(src: str, dst: str) -> None:
    with open(src, "rb") as fin, open(dst, "wb") as out:
        signature = fin.read(8)
        if signature != b"\x89PNG\r\n\x1a\n":
            raise ValueError("not a PNG")
        out.write(signature)
        while True:
            length_bytes = fin.read(4)
            if len(length_bytes) < 4:
                raise ValueError("truncated PNG")
            length = int.from_bytes(length_bytes, "big")
            kind = fin.read(4)
            if length > MAX_PART_BYTES:
                raise ValueError("PNG chunk too large")
            body_and_crc = fin.read(length + 4)
            if kind not in _PNG_DROP:
                out.write(length_bytes + kind + body_and_crc)
            if kind == b"IEND":
                return
