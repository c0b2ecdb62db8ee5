"""Bulk onboarding: one account per row of a sheet (or per unit of the tree) in one operation.

A row has a unit code, a name, an e-mail, a phone and a role (officer or judge); the
username is made from the unit code (officers) or the name (judges) unless a column gives
one. A dry run checks every row and says what would happen; the real run creates every
account and its invitation in ONE transaction (all or nothing) and writes one summary audit
row whose id names the batch, so its printable list of invitation links can be downloaded
again later. Rows for units that already have an officer are skipped, so a re-run is harmless.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _

from campaign.extensions import db
from campaign.importers import ImportFormatError
from campaign.importers.sheets import Limits, read_rows
from campaign.models import AuditLog, Campaign, Invitation, Unit, User
from campaign.models.base import utcnow
from campaign.safe_export import xlsx_bytes
from campaign.services import audit
from campaign.services.errors import DomainError, NotFound
from campaign.services.judging.panel import add_panel_member

from . import invitations
from .users import UserData, _clean_email, create_user

MAX_ROWS = 5000
LIMITS = Limits(max_rows=MAX_ROWS + 1, max_cols=60, read_cols=12, max_bytes=20 * 2**20)
HEADERS = {  # normalised header text → field
    "ma don vi": "unit_code", "unit code": "unit_code", "ma": "unit_code", "code": "unit_code",
    "ho va ten": "full_name", "ho ten": "full_name", "ten": "full_name", "name": "full_name", "full name": "full_name",
    "e-mail": "email", "email": "email", "thu dien tu": "email",
    "so dien thoai": "phone", "dien thoai": "phone", "phone": "phone",
    "vai tro": "role", "role": "role",
    "ten dang nhap": "username", "username": "username",
    "phong trao": "campaign", "campaign": "campaign",  # judges: the campaign (its code) whose panel they join
}
ROLE_WORDS = {"officer": "officer", "can bo": "officer", "can bo don vi": "officer",
              "judge": "judge", "giam khao": "judge"}


@dataclass
class RowReport:
    row: int
    unit_code: str
    full_name: str
    username: str = ""
    status: str = "error"  # create | skip | error
    message: str = ""


@dataclass
class Report:
    rows: list[RowReport] = field(default_factory=list)
    batch_id: int | None = None
    dry_run: bool = True

    @property
    def counts(self) -> dict[str, int]:
        out = {"create": 0, "skip": 0, "error": 0}
        for r in self.rows:
            out[r.status] += 1
        return out

    @property
    def ok(self) -> bool:
        return not any(r.status == "error" for r in self.rows)


def _norm(text) -> str:
    text = unicodedata.normalize("NFD", str(text or "")).replace("đ", "d").replace("Đ", "D")
    text = "".join(c for c in text if unicodedata.category(c) != "Mn")
    return re.sub(r"\s+", " ", text).strip().lower()


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", _norm(text)).strip("-")[:40]


def parse(data: bytes, filename: str) -> list[dict]:
    """Rows of an onboarding sheet as dicts (row number included); header names in vi or en."""
    try:
        rows = read_rows(data, filename, LIMITS)
    except ImportFormatError as exc:
        raise DomainError(exc.message) from exc
    if not rows:
        raise DomainError(_("Tệp không có dòng nào."))
    header = [HEADERS.get(_norm(h)) for h in rows[0]]
    if "unit_code" not in header and "full_name" not in header:
        raise DomainError(_("Không thấy dòng tiêu đề: cần các cột “Mã đơn vị”, “Họ và tên”, “E-mail”, "
                            "“Số điện thoại”, “Vai trò”."))
    out = []
    for n, values in enumerate(rows[1:], start=2):
        item = {"row": n}
        for key, value in zip(header, values, strict=False):
            if key:
                item[key] = "" if value is None else str(value).strip()
        if any(item.get(k) for k in ("unit_code", "full_name", "email", "username")):
            out.append(item)
    return out


def rows_from_tree(parent_id: int | None, level: int) -> list[dict]:
    """One officer row for each active unit of ``level`` (under ``parent_id`` if given)."""
    query = sa.select(Unit).where(Unit.level == level, Unit.valid_to.is_(None)).order_by(Unit.code)
    if parent_id:
        query = query.where(Unit.parent_id == parent_id)
    return [{"row": n, "unit_code": u.code, "full_name": _("Cán bộ %(unit)s", unit=u.name), "role": "officer"}
            for n, u in enumerate(db.session.scalars(query), start=1)]


def run(rows: list[dict], *, dry_run: bool, actor_id: int) -> Report:
    """Check (dry run) or create every account; nothing is written unless every row is valid."""
    if len(rows) > MAX_ROWS:
        raise DomainError(_("Tối đa %(n)s tài khoản một lần.", n=MAX_ROWS))
    report = Report(dry_run=dry_run)
    known = _known(rows)
    plan: list[tuple[RowReport, UserData, int | None]] = []
    panel: list[tuple[int, int]] = []  # (existing judge, campaign)
    for item in rows:
        rep = RowReport(row=item["row"], unit_code=item.get("unit_code", ""), full_name=item.get("full_name", ""))
        report.rows.append(rep)
        data = _check_row(item, rep, known)
        campaign_id = known.campaigns.get(item.get("campaign", "")) if item.get("campaign") else None
        if data is not None:
            plan.append((rep, data, campaign_id))
        elif rep.status == "skip" and campaign_id and rep.username:
            panel.append((known.judge_by_email[item["email"].strip().lower()], campaign_id))
    if dry_run or not report.ok:
        db.session.rollback()
        return report
    created: list[int] = []
    for _rep, data, campaign_id in plan:
        user = create_user(data, actor_id)
        invitations.issue(user, actor_id, fresh=True)
        created.append(user.id)
        if campaign_id:
            panel.append((user.id, campaign_id))
    row = audit.record("accounts.onboard", "user", None, after={"created": len(created), "user_ids": created,
                                                                "skipped": report.counts["skip"]}, actor=actor_id)
    db.session.commit()
    report.batch_id = row.id
    for judge_id, campaign_id in panel:  # idempotent, so a re-run completes a panel left half done
        add_panel_member(campaign_id, judge_id)
    return report


@dataclass
class _Known:
    units: dict[str, Unit]
    with_officer: set[int]
    taken: set[str]
    judge_by_email: dict[str, int]  # e-mail (lowercase) → id of an existing judge
    judge_names: dict[int, str]  # id → username
    campaigns: dict[str, int]  # slug → id


def _known(rows: list[dict]) -> _Known:
    """What the rows are checked against, read once (set-based, whatever the number of rows)."""
    codes = {r.get("unit_code", "") for r in rows} - {""}
    units = {u.code: u for u in db.session.scalars(sa.select(Unit).where(Unit.code.in_(codes), Unit.valid_to.is_(None)))
             } if codes else {}
    with_officer = set(db.session.scalars(sa.select(User.unit_id).where(
        User.role == "officer", User.unit_id.in_([u.id for u in units.values()])))) if units else set()
    judge_rows = db.session.execute(sa.select(User.id, User.username, User.email).where(User.role == "judge")).all()
    slugs = {r.get("campaign", "") for r in rows} - {""}
    campaigns = {slug: cid for slug, cid in db.session.execute(
        sa.select(Campaign.slug, Campaign.id).where(Campaign.slug.in_(slugs)))} if slugs else {}
    return _Known(units, with_officer, {n.lower() for n in db.session.scalars(sa.select(User.username))},
                  {e.lower(): uid for uid, _n, e in judge_rows if e}, {uid: n for uid, n, _e in judge_rows}, campaigns)


def _check_row(item: dict, rep: RowReport, known: _Known) -> UserData | None:
    units, with_officer, taken = known.units, known.with_officer, known.taken
    role = ROLE_WORDS.get(_norm(item.get("role") or "officer"))
    if role is None:
        rep.message = _("Vai trò “%(role)s” không hợp lệ (cán bộ / giám khảo).", role=item.get("role"))
        return None
    unit = units.get(rep.unit_code) if rep.unit_code else None
    if rep.unit_code and unit is None:
        rep.message = _("Không có đơn vị mã “%(code)s”.", code=rep.unit_code)
        return None
    if role == "officer" and unit is None:
        rep.message = _("Cán bộ đơn vị cần mã đơn vị.")
        return None
    if not rep.full_name:
        rep.message = _("Thiếu họ và tên.")
        return None
    if role == "officer" and unit.id in with_officer:
        rep.status, rep.message = "skip", _("Đơn vị đã có tài khoản cán bộ; bỏ qua.")
        return None
    try:
        email = _clean_email(item.get("email"))
    except DomainError as exc:
        rep.message = exc.message
        return None
    if item.get("campaign") and (role != "judge" or item["campaign"] not in known.campaigns):
        rep.message = _("Không có phong trào mã “%(slug)s” (chỉ giám khảo được thêm vào hội đồng chấm).",
                        slug=item["campaign"])
        return None
    if role == "judge" and email and email.lower() in known.judge_by_email:
        rep.username, rep.status = known.judge_names[known.judge_by_email[email.lower()]], "skip"
        rep.message = _("Đã có giám khảo với e-mail này; bỏ qua (vẫn thêm vào hội đồng chấm nếu có ghi phong trào).")
        return None
    base = item.get("username") or (f"cb-{_slug(unit.code)}" if role == "officer" else f"gk-{_slug(rep.full_name)}")
    username = base
    n = 2
    while username.lower() in taken:
        if item.get("username"):
            rep.message = _("Tên đăng nhập “%(name)s” đã có người dùng.", name=username)
            return None
        username, n = f"{base}-{n}", n + 1
    taken.add(username.lower())
    if role == "officer":
        with_officer.add(unit.id)
    rep.username, rep.status = username, "create"
    rep.message = _("Tạo tài khoản, gửi thư mời qua e-mail.") if email else _("Tạo tài khoản, in thư mời trên giấy.")
    return UserData(username=username, full_name=rep.full_name, role=role, unit_id=unit.id if unit else None,
                    email=email, phone=item.get("phone") or None)


def from_file(data: bytes, filename: str, *, dry_run: bool, actor_id: int) -> Report:
    """Onboard the rows of an uploaded sheet (see :func:`run`)."""
    return run(parse(data, filename), dry_run=dry_run, actor_id=actor_id)


def from_tree(parent_id: int | None, level: int, *, dry_run: bool, actor_id: int) -> Report:
    """Onboard one officer per unit of the tree (see :func:`run`)."""
    return run(rows_from_tree(parent_id, level), dry_run=dry_run, actor_id=actor_id)


# --------------------------------------------------------------------------- printable list

def batch_user_ids(batch_id: int) -> list[int]:
    row = db.session.get(AuditLog, batch_id)
    if row is None or row.action != "accounts.onboard":
        raise NotFound(_("Không tìm thấy đợt tạo tài khoản."))
    return [int(i) for i in (row.after or {}).get("user_ids", [])]


def printable_xlsx(batch_id: int | None) -> bytes:
    """The pending invitation links (of one batch, or all), for officers who get them on paper."""
    query = (sa.select(Invitation, User, Unit).join(User, User.id == Invitation.user_id)
             .outerjoin(Unit, Unit.id == User.unit_id)
             .where(Invitation.used_at.is_(None), Invitation.revoked_at.is_(None), Invitation.expires_at > utcnow(),
                    User.active).order_by(Unit.code, User.username))
    if batch_id is not None:
        query = query.where(User.id.in_(batch_user_ids(batch_id)))
    header = [_("Mã đơn vị"), _("Đơn vị"), _("Họ và tên"), _("Tên đăng nhập"), _("E-mail"), _("Số điện thoại"),
              _("Liên kết đặt mật khẩu"), _("Hết hạn (UTC)")]
    rows = ([unit.code if unit else "", unit.name if unit else "", user.full_name, user.username, user.email or "",
             user.phone or "", invitations.link_of(inv), inv.expires_at.strftime("%Y-%m-%d %H:%M")]
            for inv, user, unit in db.session.execute(query))
    return xlsx_bytes(_("Thư mời"), header, rows)
