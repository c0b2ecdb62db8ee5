"""Excel round trip of indicator values: a pre-filled, protected template and a cell-by-cell import.

One layout serves a single unit (the officer's download) and many units (the commission's
import): a sheet named ``Giá trị`` with the header below, one row per unit × indicator.
A sheet that is not this layout (wrong sheet, header, unknown or repeated indicator code)
is *malformed* and nothing is saved; otherwise each value cell is accepted or refused with
its reason, and the accepted ones are saved in one transaction.
"""
from __future__ import annotations

import contextlib
import io
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill, Protection
from openpyxl.worksheet.cell_range import MultiCellRange
from openpyxl.worksheet.datavalidation import DataValidation

from campaign import formats
from campaign.extensions import db
from campaign.importers import ImportFormatError
from campaign.importers.sheets import SheetNotFound, read_rows, values_limits
from campaign.models import Campaign, CampaignUnit, Entry, Unit, User
from campaign.safe_export import put
from campaign.services import audit
from campaign.services.errors import DomainError, NotFound
from campaign.services.setup.campaigns import get_campaign, get_campaign_by_slug
from campaign.services.setup.framework_cache import parsed
from campaign.services.setup.units import kind_label
from campaign.services.submissions import derived
from campaign.services.submissions.entries import (
    EDITABLE,
    check_values_raw,
    create_entry,
    editable_codes,
    entry_for_edit,
    issue_message,
    label,
    save_entry_values,
    stored_posted,
)
from scoring.rules import to_bool
from scoring.values import rule_for

SHEET = "Giá trị"
HEADER = ("Mã đơn vị", "Tên đơn vị", "Mã chỉ tiêu", "Tên chỉ tiêu", "Loại giá trị", "Điểm tối đa",
          "Giá trị", "Không áp dụng (x)", "Giải trình")
COL_VALUE, COL_NA, COL_EXPL = 7, 8, 9
NA_MARKS = {"x", "na", "có", "yes", "1", "true"}


def _row_label(t: str) -> str:
    return {"number": "số", "percentage": "tỷ lệ % (0–100)", "count": "số nguyên", "yes_no": "Có/Không",
            "choice": "chọn trong danh sách", "date": "ngày (YYYY-MM-DD)", "text": "văn bản",
            "file_only": "chỉ tệp minh chứng"}.get(t or "", t or "")


def sheet_nodes(fw) -> list:
    """The sheet's rows per unit: every indicator, and before its sub-items each criterion that may be N/A as a whole."""
    return [n for n in fw.walk() if n.is_indicator or n.na_allowed]


def _type_text(fw, n, unit=None) -> str:
    """Column "Loại giá trị": the value type; the formula of a computed indicator; a criterion's N/A mark;
    the unit's own target where it depends on the unit."""
    if not n.is_indicator:
        text = "cả tiêu chí: chỉ đánh dấu Không áp dụng (x)"
        if n.rescale:
            text += (f"; phần này không được chấm thì các chỉ tiêu con được 0 điểm và tổng điểm được quy về "
                     f"thang điểm {formats.plain(fw.scale, 'vi')}")
        return text
    text = "tự động tính = " + derived.formula(fw, n, label) if n.compute is not None else _row_label(n.value_type)
    if n.kind == "bonus" and any(g.stacking == "max" and n in g.walk() for g in fw.groups if g.kind == "bonus"):
        text += "; nhóm thưởng chỉ tính khoản lớn nhất (không cộng dồn)"
    notes = rule_for(n, unit, fw)[1]
    for nt in notes:
        level = "chuẩn" if nt.param == "target" else "sàn"
        text += f"; mức {level} của đơn vị: {formats.plain(nt.value, 'vi')} ({_threshold_key(fw, nt)})"
    return text


def _threshold_key(fw, note) -> str:
    """Why this unit's target applies, in words: its kind ("Phường"), its region's name, or the default."""
    if note.key is None:
        return "mặc định"
    if note.by == "unit_kind":
        with force_locale("vi"):  # the sheet is Vietnamese whatever the page's language
            return kind_label(note.key)
    region = next((r for r in fw.regions if r.code == note.key), None)
    return (region.name.get("vi") or note.key) if region else note.key


def _conditions_sheet(wb: Workbook, fw, campaign: Campaign) -> None:
    """Sheet "Điều kiện": each condition in words (issue 16), so the table says what a band also needs."""
    if not fw.conditions:
        return

    from campaign.band_reasons import condition_rules

    with force_locale("vi"):
        rules = condition_rules(fw, (campaign.settings or {}).get("bands"), "vi")
    ws = wb.create_sheet("Điều kiện")
    put(ws, 1, 1, "Điều kiện xếp loại (không phải điểm)").font = Font(bold=True)
    for r, text in enumerate(rules, start=2):
        put(ws, r, 1, text)
    ws.column_dimensions["A"].width = 140
    ws.protection.sheet = True


def build_workbook(campaign: Campaign, units: list[Unit], values_by_unit: dict[int, dict]) -> bytes:
    fw = parsed(campaign.framework_version_id)
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    for col, title in enumerate(HEADER, start=1):
        put(ws, 1, col, title).font = Font(bold=True)
    yes_no = DataValidation(type="list", formula1='"Có,Không"', allow_blank=True)
    na_dv = DataValidation(type="list", formula1='"x"', allow_blank=True)
    pct = DataValidation(type="decimal", operator="between", formula1="0", formula2="100", allow_blank=True)
    pct.error, pct.errorTitle = "0–100", "Tỷ lệ %"
    choice_dvs: dict[str, DataValidation] = {}
    # cells of each validation, set once at the end: DataValidation.add() per cell rescans the
    # whole range (quadratic: 8,600 rows took 165 s instead of 6 s)
    refs: dict[int, tuple[DataValidation, list[str]]] = {}

    def validate(dv: DataValidation, ref: str) -> None:
        refs.setdefault(id(dv), (dv, []))[1].append(ref)

    editable_fill = PatternFill("solid", fgColor="FFF8DC")
    r = 1
    contexts = derived.unit_contexts([u.id for u in units])
    for unit in units:
        stored = values_by_unit.get(unit.id, {})
        for n in sheet_nodes(fw):
            item = stored.get(n.code) or {}
            raw = item.get("raw") or ""
            if n.value_type == "yes_no" and raw:
                with contextlib.suppress(ValueError):
                    raw = "Có" if to_bool(raw) else "Không"
            r += 1
            # every text as a string cell: a value typed as "=HYPERLINK(…)" stays that text (no formula)
            # and reads back identical, so an unchanged upload changes nothing
            for col, value in enumerate((unit.code, unit.name, n.code, label(n.name),
                                         _type_text(fw, n, contexts.get(unit.id)),
                                         n.max_points, raw, "x" if item.get("na") else "",
                                         item.get("explanation") or ""), start=1):
                put(ws, r, col, value)
            if not n.is_indicator:  # a criterion: only its N/A mark is typed
                ws.cell(row=r, column=COL_NA).protection = Protection(locked=False)
                ws.cell(row=r, column=COL_NA).fill = editable_fill
                validate(na_dv, f"H{r}")
                continue
            for col in (COL_VALUE, COL_NA, COL_EXPL) if n.compute is None else (COL_EXPL,):
                c = ws.cell(row=r, column=col)
                c.protection = Protection(locked=False)
                c.fill = editable_fill
                c.number_format = "@"  # text: "1.234,5" stays as typed
            ref = f"G{r}"
            if n.value_type == "yes_no":
                validate(yes_no, ref)
            elif n.value_type == "percentage":
                validate(pct, ref)
            elif n.value_type == "choice" or n.rule.kind == "judged" and n.value_type is None:
                codes = [c.code for c in n.choices] or [lv.code for lv in n.rule.levels]
                key = ",".join(codes)
                if key not in choice_dvs and len(key) < 250:
                    choice_dvs[key] = DataValidation(type="list", formula1=f'"{key}"', allow_blank=True)
                if key in choice_dvs:
                    validate(choice_dvs[key], ref)
            if n.na_allowed:
                validate(na_dv, f"H{r}")
    for dv, cells in refs.values():
        dv.sqref = MultiCellRange(" ".join(cells))
        ws.add_data_validation(dv)
    for col, width in zip("ABCDEFGHI", (12, 24, 10, 50, 18, 10, 18, 14, 40), strict=True):
        ws.column_dimensions[col].width = width
    ws.protection.sheet = True  # structure locked; only value/NA/explanation cells are open
    ws.protection.formatRows = False
    ws.protection.formatColumns = False
    info = wb.create_sheet("Thông tin")
    for r, pair in enumerate((("Phong trào", campaign.name), ("Mã phong trào", campaign.slug), ("Bộ tiêu chí", fw.code),
                              ("Hướng dẫn", "Chỉ điền cột Giá trị, Không áp dụng (x) và Giải trình. "
                                            "Số viết 1234,5 hoặc 1234.5.")), start=1):
        for col, value in enumerate(pair, start=1):
            put(info, r, col, value)
    info.protection.sheet = True
    _conditions_sheet(wb, fw, campaign)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def entry_workbook(entry_id: int, user: User) -> tuple[bytes, str]:
    entry = entry_for_edit(entry_id, user)
    campaign = db.session.get(Campaign, entry.campaign_id)
    unit = db.session.get(Unit, entry.unit_id)
    data = build_workbook(campaign, [unit], {unit.id: stored_posted(entry)})
    return data, f"{campaign.slug}-{unit.code}.xlsx"


def campaign_workbook(campaign_id: int) -> tuple[bytes, str]:
    """Template for all participating units (commission)."""
    campaign = get_campaign(campaign_id)
    units = list(db.session.scalars(sa.select(Unit).join(CampaignUnit, CampaignUnit.unit_id == Unit.id)
                                    .where(CampaignUnit.campaign_id == campaign_id).order_by(Unit.code)))
    entries = db.session.scalars(sa.select(Entry).where(Entry.campaign_id == campaign_id))
    values = {e.unit_id: stored_posted(e) for e in entries}
    return build_workbook(campaign, units, values), f"{campaign.slug}-tat-ca-don-vi.xlsx"


# --------------------------------------------------------------------------- import

@dataclass
class CellResult:
    row: int
    unit_code: str
    code: str
    value: str
    status: str  # accepted | refused | unchanged
    reason: str = ""


@dataclass
class ImportReport:
    rows: list[CellResult] = field(default_factory=list)

    @property
    def accepted(self) -> int:
        return sum(1 for r in self.rows if r.status == "accepted")

    @property
    def refused(self) -> int:
        return sum(1 for r in self.rows if r.status == "refused")

    @property
    def unchanged(self) -> int:
        return sum(1 for r in self.rows if r.status == "unchanged")


class Malformed(DomainError):
    pass


def _cell_text(v) -> str:
    """A cell as the text a user would have typed; numeric cells without any ambiguity."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            return str(v)
        if v == int(v):
            return str(int(v))
        s = repr(v)
        if "e" in s.lower():
            s = f"{v:.10f}".rstrip("0")
        head, _dot, frac = s.partition(".")
        if len(frac) == 3:  # "1.234" would read as ambiguous; a number cell is not
            s += "0"
        return s
    if hasattr(v, "isoformat"):
        return v.isoformat()[:10]
    return str(v).strip()


def read_sheet(file_storage, expected_rows: int) -> list[tuple[int, str, str, str, bool, str]]:
    """Rows (row number, unit code, indicator code, value text, na, explanation); Malformed otherwise.

    ``expected_rows`` is the row count of the template this upload answers: the sheet is read
    within bounds sized for it (``campaign.importers.sheets.values_limits``).
    """
    if file_storage is None or not file_storage.filename:
        raise Malformed(_("Chưa chọn tệp Excel."))
    data = file_storage.read()
    if not data:
        raise Malformed(_("Tệp rỗng (0 byte); hãy chọn lại tệp."))
    try:
        rows = read_rows(data, file_storage.filename, values_limits(expected_rows), sheet=SHEET, formats=("xlsx",))
    except SheetNotFound:
        raise Malformed(_("Không thấy trang “%(sheet)s” trong tệp; hãy dùng tệp mẫu tải từ hệ thống. "
                          "Không có giá trị nào được lưu.", sheet=SHEET)) from None
    except ImportFormatError as exc:
        if data[:2] != b"PK":
            raise Malformed(_("Tệp không phải bảng tính Excel (.xlsx) hợp lệ; không có giá trị nào được lưu.")) from None
        raise Malformed(exc.message) from None
    out = []
    for i, row in enumerate(rows, start=1):
        cells = list(row) + [None] * (len(HEADER) - len(row))
        if i == 1:
            if tuple(str(c or "").strip() for c in cells[: len(HEADER)]) != HEADER:
                raise Malformed(_("Dòng tiêu đề của trang “%(sheet)s” đã bị thay đổi; hãy dùng tệp mẫu. "
                                  "Không có giá trị nào được lưu.", sheet=SHEET))
            continue
        unit_code, code = _cell_text(cells[0]), _cell_text(cells[2])
        if not unit_code and not code and all(c in (None, "") for c in cells):
            continue
        na = _cell_text(cells[COL_NA - 1]).lower() in NA_MARKS
        out.append((i, unit_code, code, _cell_text(cells[COL_VALUE - 1]), na, _cell_text(cells[COL_EXPL - 1])))
    if not out and not rows:
        raise Malformed(_("Trang “%(sheet)s” trống; hãy dùng tệp mẫu tải từ hệ thống. Không có giá trị nào được lưu.",
                          sheet=SHEET))
    return out


def _normalise(node, raw: str) -> str:
    if node.value_type == "yes_no" and raw:
        try:
            return "yes" if to_bool(raw) else "no"
        except ValueError:
            return raw
    if (node.value_type == "choice" or node.rule.kind == "judged" and node.value_type is None) and raw:
        for c in node.choices:
            if raw.lower() in (c.code.lower(), *(str(v).lower() for v in c.label.values())):
                return c.code
        for lv in node.rule.levels:
            if raw.lower() == lv.code.lower():
                return lv.code
    return derived.typed_raw(node, raw)


def _same(new: dict, old: dict) -> bool:
    """Equal as the user sees them: XML turns a browser's CRLF into LF, which is no change."""
    def text(v) -> str:
        return (v or "").replace("\r\n", "\n").replace("\r", "\n")
    return (text(new["raw"]), new["na"], text(new["explanation"])) == (text(old["raw"]), bool(old["na"]),
                                                                          text(old["explanation"]))


Progress = Callable[[str, int, int], None]  # (phase, rows done, rows in all): the worker's progress bar


def import_rows(campaign: Campaign, rows, user: User, *, only_unit_id: int | None = None,
                progress: Progress | None = None) -> ImportReport:
    """Validate every cell, then save the accepted ones for every unit in one transaction."""
    if progress:
        progress("checking", 0, len(rows))
    fw = parsed(campaign.framework_version_id)
    nodes = {n.code: n for n in sheet_nodes(fw)}
    seen: set[tuple[str, str]] = set()
    problems = []
    for i, unit_code, code, *_rest in rows:
        if code not in nodes:
            problems.append(_("dòng %(row)s: mã chỉ tiêu “%(code)s” không có trong bộ tiêu chí", row=i, code=code))
        if (unit_code, code) in seen:
            problems.append(_("dòng %(row)s: chỉ tiêu %(code)s của đơn vị %(unit)s lặp lại", row=i, code=code, unit=unit_code))
        seen.add((unit_code, code))
    if problems:
        raise Malformed(_("Bảng tính sai cấu trúc, không có giá trị nào được lưu: %(p)s", p="; ".join(problems[:10])))
    codes = {u for u, *_ in (r[1:] for r in rows)}
    participants = set(db.session.scalars(sa.select(CampaignUnit.unit_id).where(CampaignUnit.campaign_id == campaign.id)))
    # a code means the campaign's own unit: GSO reuses codes, so an ended unit may share it
    units = {u.code: u for u in db.session.scalars(sa.select(Unit).where(Unit.code.in_(codes))
                                                   .order_by(Unit.id.in_(participants)))}
    entries = {e.unit_id: e for e in db.session.scalars(sa.select(Entry).where(Entry.campaign_id == campaign.id))}
    report = ImportReport()
    by_unit: dict[int, list] = {}
    for r in rows:
        i, unit_code, code, raw, na, expl = r
        unit = units.get(unit_code)
        if unit is None:
            report.rows.append(CellResult(i, unit_code, code, raw, "refused", _("Không có đơn vị mã “%(c)s”.", c=unit_code)))
            continue
        if only_unit_id is not None and unit.id != only_unit_id:
            report.rows.append(CellResult(i, unit_code, code, raw, "refused",
                                          _("Dòng của đơn vị khác; bạn chỉ nhập được cho đơn vị mình.")))
            continue
        if unit.id not in participants:
            report.rows.append(CellResult(i, unit_code, code, raw, "refused", _("Đơn vị không tham gia phong trào này.")))
            continue
        by_unit.setdefault(unit.id, []).append(r)
    done = len(rows) - sum(len(v) for v in by_unit.values())
    for unit_id, unit_rows in by_unit.items():
        if progress:
            progress("saving", done, len(rows))
        done += len(unit_rows)
        entry = entries.get(unit_id)
        if entry is None:
            if campaign.status != "open":
                for i, uc, code, raw, _na, _e in unit_rows:
                    report.rows.append(CellResult(i, uc, code, raw, "refused", _("Phong trào chưa mở nhận hồ sơ.")))
                continue
            entry = create_entry(campaign, unit_id)
        stored = stored_posted(entry)
        allowed = editable_codes(entry, fw) if entry.status in EDITABLE else set()
        candidate = {c: dict(v) for c, v in stored.items()}
        changed_rows = []
        for i, uc, code, raw, na, expl in unit_rows:
            node = nodes[code]
            old = stored.get(code, {"raw": "", "na": False, "explanation": ""})
            fixed = not node.is_indicator or node.compute is not None  # a criterion / computed value: not typed
            if fixed and raw and raw != (old["raw"] or ""):
                report.rows.append(CellResult(i, uc, code, raw, "refused", _(
                    "Giá trị của chỉ tiêu này do hệ thống tính theo công thức; không nhập được.") if node.is_indicator
                    else _("Dòng của cả tiêu chí: chỉ đánh dấu x ở cột “Không áp dụng”.")))
                continue
            new = {"raw": (old["raw"] or "") if fixed else _normalise(node, raw), "na": na, "explanation": expl}
            if _same(new, old):
                report.rows.append(CellResult(i, uc, code, raw, "unchanged"))
                continue
            if code not in allowed:
                reason = (_("Hồ sơ đã nộp và đang khóa; không thể sửa.") if entry.status not in EDITABLE
                          else _("Chỉ được sửa các chỉ tiêu được yêu cầu giải trình; chỉ tiêu này đang khóa."))
                report.rows.append(CellResult(i, uc, code, raw, "refused", reason))
                continue
            if na and not node.na_allowed:
                report.rows.append(CellResult(i, uc, code, raw, "refused", issue_message(fw, _Issue(code, "na_not_allowed"))))
                continue
            candidate[code] = new
            changed_rows.append((i, uc, code, raw, new))
        issues = check_values_raw(fw, candidate)
        accepted = {}
        for i, uc, code, raw, new in changed_rows:
            mine = [x for x in issues.get(code, []) if x.key != "required"]
            if mine:
                report.rows.append(CellResult(i, uc, code, raw, "refused", " ".join(issue_message(fw, x) for x in mine)))
            else:
                accepted[code] = new
                report.rows.append(CellResult(i, uc, code, raw, "accepted"))
        if accepted:
            save_entry_values(entry, user, accepted, None, source="xlsx", commit=False)
    report.rows.sort(key=lambda r: r.row)
    audit.record("values.import_xlsx", "campaign", campaign.id, campaign_id=campaign.id, actor=user,
                 after={"accepted": report.accepted, "refused": report.refused})
    db.session.commit()
    return report


@dataclass(frozen=True)
class _Issue:
    code: str
    key: str
    params: dict = field(default_factory=dict)


def _indicator_count(campaign: Campaign) -> int:
    return len(sheet_nodes(parsed(campaign.framework_version_id)))


def _template_rows(campaign: Campaign) -> int:
    """Rows of the commission's template: participants × indicators."""
    units = db.session.scalar(sa.select(sa.func.count()).select_from(CampaignUnit)
                              .where(CampaignUnit.campaign_id == campaign.id)) or 0
    return max(units, 1) * _indicator_count(campaign)


def import_for_entry(entry_id: int, user: User, file_storage) -> ImportReport:
    entry = entry_for_edit(entry_id, user)
    campaign = db.session.get(Campaign, entry.campaign_id)
    rows = read_sheet(file_storage, len(sheet_nodes(parsed(campaign.framework_version_id))))
    return import_rows(campaign, rows, user, only_unit_id=entry.unit_id)


def campaign_for_import(campaign_id: int, user: User) -> Campaign:
    """The campaign an admin imports into; NotFound for anyone else (same answer as a missing one)."""
    if user is None or user.role != "admin":
        raise NotFound(_("Không tìm thấy phong trào."))
    return get_campaign(campaign_id)


def import_for_campaign(campaign_id: int, user: User, file_storage, progress: Progress | None = None) -> ImportReport:
    campaign = campaign_for_import(campaign_id, user)
    if progress:
        progress("reading", 0, 0)
    return import_rows(campaign, read_sheet(file_storage, _template_rows(campaign)), user, progress=progress)


def import_path(campaign_slug: str, path: str, user: User | None) -> ImportReport:
    campaign = get_campaign_by_slug(campaign_slug)

    class _FS:
        filename = path

        def read(self):
            with open(path, "rb") as fh:
                return fh.read()

    return import_rows(campaign, read_sheet(_FS(), _template_rows(campaign)), user)


__all__ = ["entry_workbook", "campaign_workbook", "import_for_entry", "import_for_campaign", "import_path",
           "ImportReport", "Malformed"]
