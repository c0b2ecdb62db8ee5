"""Framework files: templates shipped in campaign/frameworks/, YAML/JSON import and export,
and the blank scoring table (bảng chấm điểm) as XLSX.

Exports are written from the normalised document (``scoring.framework.dump_framework``)
with a fixed key order, so export → import → export gives the same bytes whatever order
the database returned the keys in.
"""
from __future__ import annotations

import copy
import functools
import io
import json
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
import yaml
from flask_babel import gettext as _

from campaign import formats
from campaign.extensions import db
from campaign.importers import ImportFormatError
from campaign.importers.documents import FRAMEWORK_LIMITS, load_json, load_yaml
from campaign.models import Framework, FrameworkVersion
from campaign.safe_export import put
from campaign.services import audit
from campaign.services.errors import DomainError, NotFound
from campaign.services.setup.framework_cache import parsed
from campaign.services.setup.frameworks import digest, install_version
from campaign.words import unit_label
from scoring.framework import Framework as EngineFramework
from scoring.framework import FrameworkError, dump_framework, parse_framework, validate_framework

TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "frameworks"
FORMATS = ("yaml", "json")


# --------------------------------------------------------------------------- (de)serialising

def normalise(doc: dict) -> dict:
    """The canonical form of a valid document; raises DomainError listing every problem."""
    errors = validate_framework(doc)
    if errors:
        raise DomainError(_("Bộ tiêu chí không hợp lệ: %(errors)s", errors="; ".join(errors[:20])))
    return dump_framework(parse_framework(doc))


def loads(text: str | bytes, filename: str = "") -> dict:
    """Parse a YAML or JSON framework file within bounds (campaign.importers.documents: size,
    depth, no YAML aliases), so a 1 KB alias bomb or a deeply nested file is refused, not stored."""
    load = load_json if filename.lower().endswith(".json") else load_yaml  # JSON is YAML; JSON errors read better
    try:
        doc = load(text, FRAMEWORK_LIMITS) if (text.strip() if isinstance(text, str) else text.strip()) else None
    except ImportFormatError as exc:
        raise DomainError(exc.message) from None
    if doc is None or doc == "":
        raise DomainError(_("Tệp rỗng: không có bộ tiêu chí nào."))
    if not isinstance(doc, dict):
        raise DomainError(_("Tệp bộ tiêu chí phải là một bảng (mapping) theo định dạng thidua-framework/1."))
    return doc


def dumps(doc: dict, fmt: str = "yaml") -> str:
    doc = normalise(doc)
    if fmt == "json":
        return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
    if fmt == "yaml":
        return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=120, default_flow_style=False)
    raise DomainError(_("Định dạng xuất không hợp lệ."))


# --------------------------------------------------------------------------- templates

@functools.lru_cache(maxsize=64)
def _template(path: str, _mtime_ns: int) -> dict:
    """A shipped template, parsed once per file version (parsing all of them took ~1.4 s per admin page)."""
    with open(path, encoding="utf-8") as fh:
        return yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def _templates() -> dict[str, dict]:
    return {p.stem: _template(str(p), p.stat().st_mtime_ns) for p in sorted(TEMPLATE_DIR.glob("*.yaml"))}


def list_templates() -> list[dict]:
    """Summary of every template shipped in campaign/frameworks/."""
    return [{"code": doc["code"], "name": doc["name"], "scale": doc["scale"], "file": f"{stem}.yaml",
             "source": doc.get("source"), "assumptions": doc.get("assumptions") or []}
            for stem, doc in _templates().items()]


def template_page(code: str) -> tuple[dict, EngineFramework]:
    """A shipped template's document and its parsed tree (for its page)."""
    doc = template_doc(code)
    return doc, parse_framework(doc)


def template_doc(code: str) -> dict:
    """A template's document (a copy: callers may change it)."""
    doc = _templates().get(code)
    if doc is None:
        raise NotFound(_("Không có bộ tiêu chí mẫu “%(code)s”.", code=code))
    return copy.deepcopy(doc)


# --------------------------------------------------------------------------- storing

def store(doc: dict, *, user_id: int | None = None, is_template: bool = False) -> tuple[FrameworkVersion, bool]:
    """Install ``doc`` as a new version, or reuse the latest version when identical; no commit.

    Returns ``(version, created)``.
    """
    doc = normalise(doc)
    framework = db.session.scalar(sa.select(Framework).where(Framework.code == doc["code"]))
    if framework is not None:
        latest = db.session.scalar(sa.select(FrameworkVersion).where(FrameworkVersion.framework_id == framework.id)
                                   .order_by(FrameworkVersion.version.desc()).limit(1))
        if latest is not None and latest.digest == digest(doc):
            return latest, False
    version = install_version(doc, framework=framework, is_template=is_template, user_id=user_id)
    return version, True


def import_framework(data: bytes | str, filename: str = "", *, user_id: int | None = None) -> tuple[FrameworkVersion, bool]:
    doc = loads(data, filename)
    version, created = store(doc, user_id=user_id)
    if created:
        audit.record("framework.import", "framework_version", version.id,
                     after={"code": doc.get("code"), "version": version.version, "file": filename},
                     actor=user_id)
    db.session.commit()
    return version, created


def install_template(code: str, user_id: int | None = None) -> FrameworkVersion:
    """The DB version of a shipped template (installed on first use); no commit."""
    version, _created = store(template_doc(code), user_id=user_id, is_template=True)
    return version


def get_version(version_id: int) -> FrameworkVersion:
    v = db.session.get(FrameworkVersion, version_id)
    if v is None:
        raise NotFound(_("Không tìm thấy phiên bản bộ tiêu chí."))
    return v


def export_version(version_id: int, fmt: str = "yaml") -> tuple[str, str]:
    """(text, file name) of a stored version."""
    v = get_version(version_id)
    text = dumps(v.document, fmt)
    return text, f"{v.framework.code}-v{v.version}.{'yaml' if fmt == 'yaml' else 'json'}"


def list_frameworks() -> list[dict]:
    rows = db.session.execute(
        sa.select(Framework, sa.func.max(FrameworkVersion.version), sa.func.count(FrameworkVersion.id))
        .join(FrameworkVersion, FrameworkVersion.framework_id == Framework.id, isouter=True)
        .group_by(Framework.id).order_by(Framework.code)).all()
    return [{"framework": f, "latest": latest, "versions": n} for f, latest, n in rows]


def framework_versions(framework_id: int) -> list[FrameworkVersion]:
    """Versions of a framework, newest first."""
    return list(db.session.scalars(sa.select(FrameworkVersion).where(FrameworkVersion.framework_id == framework_id)
                                   .order_by(FrameworkVersion.version.desc())))


# --------------------------------------------------------------------------- editing in the browser

class FrameworkProblems(DomainError):
    """Every problem of an edited framework document, listed above the editor (the text is kept)."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def parse_edited(text: str) -> dict:
    """The document typed in the editor (YAML), or FrameworkProblems listing every problem."""
    try:
        doc = loads(text, "edit.yaml")
    except DomainError as exc:
        raise FrameworkProblems([exc.message]) from None
    problems = validate_framework(doc)
    if problems:
        raise FrameworkProblems(problems)
    return doc


@dataclass
class FrameworkPage:
    framework: Framework
    versions: list[FrameworkVersion]
    latest: FrameworkVersion
    text: str  # the latest version as YAML, for the editor
    fw: EngineFramework


def framework_page(framework_id: int) -> FrameworkPage:
    """A stored framework's page: its versions and the latest one, parsed (cached) and as YAML."""
    versions = framework_versions(framework_id)
    if not versions:
        raise NotFound(_("Không tìm thấy bộ tiêu chí."))
    latest = versions[0]
    return FrameworkPage(latest.framework, versions, latest, dumps(latest.document), parsed(latest.id))


def save_edited(framework_id: int, text: str, *, user_id: int | None = None) -> tuple[FrameworkVersion, bool]:
    """Store an edited framework as its next version (or nothing when unchanged); the code must stay."""
    page = framework_page(framework_id)
    doc = parse_edited(text)
    if doc.get("code") != page.framework.code:
        raise FrameworkProblems([_("Mã bộ tiêu chí phải giữ nguyên (%(code)s); muốn tạo bộ mới hãy nhập tệp.",
                                   code=page.framework.code)])
    return import_framework(text, "edit.yaml", user_id=user_id)


# --------------------------------------------------------------------------- XLSX

XLSX_HEADER = ("STT", "Nội dung", "Điểm tối đa", "Điểm tự chấm", "Điểm thẩm định", "Ghi chú")
XLSX_HEADER_ROW = 4  # rows 1–3: title, unit line, blank


def blank_scoring_table(doc: dict, lang: str = "vi", unit_name: str = "") -> bytes:
    """The blank bảng chấm điểm: STT, nội dung, điểm tối đa, điểm tự chấm, điểm thẩm định, ghi chú."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    fw = parse_framework(normalise(doc))

    def name(d: dict) -> str:
        return d.get(lang) or d.get("vi") or next(iter(d.values()), "")

    wb = Workbook()
    ws = wb.active
    ws.title = "Bang cham diem"
    put(ws, 1, 1, ("BẢNG CHẤM ĐIỂM THI ĐUA – " if lang == "vi" else "SCORING TABLE – ") + name(fw.name).upper())
    ws.cell(1, 1).font = Font(bold=True, size=13)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=6)
    put(ws, 2, 1, ("Đơn vị: " if lang == "vi" else "Unit: ") + (unit_name or "……………………………………"))
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=6)
    thin = Side(style="thin", color="999999")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    for col, title in enumerate(XLSX_HEADER, start=1):
        c = put(ws, XLSX_HEADER_ROW, col, title)
        c.font = Font(bold=True)
        c.fill = PatternFill("solid", fgColor="F3E9D2")
        c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        c.border = border
    row = XLSX_HEADER_ROW + 1

    def note_of(n) -> str:
        if n.kind == "penalty":
            return "Điểm trừ" if lang == "vi" else "Deduction"
        if n.kind == "bonus" and n.rule is not None:
            return "Điểm thưởng" if lang == "vi" else "Bonus"
        if n.rule is not None and n.rule.kind == "judged":
            return "; ".join(f"{name(lv.descriptor) or lv.code}: {formats.plain(lv.points, lang)}" for lv in n.rule.levels)
        if n.unit:
            return unit_label(n.unit, lang)
        return ""

    def write(n, depth: int):
        nonlocal row
        label = name(n.name)
        if n.kind == "bonus" and depth == 0 and n.cap is not None:
            cap = formats.plain(n.cap, lang)
            label += (f" (tối đa {cap} điểm)" if lang == "vi" else f" (at most {cap} points)")
        values = (n.code, label, -n.max_points if n.kind == "penalty" and n.rule is not None else n.max_points,
                  None, None, note_of(n))
        for col, v in enumerate(values, start=1):
            c = put(ws, row, col, v)  # names from an imported file stay text, never formulas
            c.border = border
            c.alignment = Alignment(vertical="top", wrap_text=col in (2, 6), indent=depth if col == 2 else 0)
            if depth == 0:
                c.font = Font(bold=True)
        ws.cell(row, 3).number_format = "0.##"
        row += 1
        for ch in n.children:
            write(ch, depth + 1)

    for g in fw.groups:
        write(g, 0)
    total_label = "TỔNG CỘNG" if lang == "vi" else "TOTAL"
    put(ws, row, 2, total_label).font = Font(bold=True)
    ws.cell(row, 3, fw.scale + fw.bonus_cap_total).font = Font(bold=True)
    for col in range(1, 7):
        ws.cell(row, col).border = border
    for col, width in enumerate((10, 70, 12, 14, 16, 30), start=1):
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.freeze_panes = ws.cell(XLSX_HEADER_ROW + 1, 1)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def blank_scoring_table_for_version(version_id: int, lang: str = "vi") -> tuple[bytes, str]:
    v = get_version(version_id)
    return blank_scoring_table(v.document, lang), f"bang-cham-diem-{v.framework.code}-v{v.version}.xlsx"


__all__ = ["FrameworkError", "TEMPLATE_DIR", "blank_scoring_table", "dumps", "export_version", "import_framework",
           "install_template", "list_templates", "loads", "normalise", "store", "template_doc"]
