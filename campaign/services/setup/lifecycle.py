"""The campaign lifecycle (Law on Emulation and Commendation, Art. 17) with guarded transitions.

    draft → open (nhận bài) → appraisal (thẩm định) → published (công bố) → closed (kết thúc)

plus a mid-term review (sơ kết) published as its own result while the campaign is open or
in appraisal. Allowed steps back: open → draft while no entry exists, appraisal → open to
reopen submissions. Every move writes a StatusChange row and an audit row in one
transaction; a refused move raises a DomainError saying exactly what is missing.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _

from campaign.extensions import db
from campaign.labels import N_
from campaign.models import Campaign, CampaignUnit, StatusChange, User
from campaign.models.base import utcnow
from campaign.services import audit
from campaign.services.errors import Conflict, DomainError
from campaign.services.results import publish_check, publishing
from campaign.services.setup.campaigns import entry_count, get_campaign, status_label

TRANSITIONS: dict[str, tuple[str, ...]] = {
    "draft": ("open",),
    "open": ("appraisal", "draft"),
    "appraisal": ("published", "open"),
    "published": ("closed",),
    "closed": (),
}
ACTION_LABELS = {
    ("draft", "open"): N_("Mở nhận bài"),
    ("open", "appraisal"): N_("Đóng nhận bài, chuyển thẩm định"),
    ("open", "draft"): N_("Trả về nháp"),
    ("appraisal", "published"): N_("Công bố kết quả"),
    ("appraisal", "open"): N_("Mở lại nhận bài"),
    ("published", "closed"): N_("Kết thúc phong trào"),
}


# What each move does, said on its confirmation step before anything happens.
MOVE_EFFECTS = {
    ("draft", "open"): (N_("Các đơn vị tham gia thấy phong trào và bắt đầu nhập, nộp hồ sơ."),
                        N_("Khung tiêu chí không sửa được nữa khi đã có hồ sơ.")),
    ("open", "appraisal"): (N_("Đóng nhận hồ sơ: đơn vị không sửa, không nộp được nữa "
                               "(trừ khi được gia hạn hoặc được yêu cầu giải trình)."),
                            N_("Đơn vị chưa nộp sẽ được xếp là «Chưa nộp»."),
                            N_("Giám khảo bắt đầu thẩm định các hồ sơ đã nộp.")),
    ("open", "draft"): (N_("Phong trào trở về bản nháp và ẩn khỏi các đơn vị."),),
    ("appraisal", "published"): (N_("Kết quả chính thức được công bố ngay trên trang công khai và không sửa được nữa."),),
    ("appraisal", "open"): (N_("Mở lại nhận hồ sơ: các đơn vị lại sửa và nộp được cho đến hạn."),),
    ("published", "closed"): (N_("Kết thúc phong trào: không còn thay đổi trạng thái nào; kết quả đã công bố vẫn công khai."),),
}


@dataclass(frozen=True)
class MovePreview:
    """What a lifecycle move (or a mid-term publication) will do, for its confirmation step."""

    campaign_id: int
    campaign_name: str
    to: str  # a status, or "midterm"
    action: str
    effects: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    publish: publish_check.PublishPreview | None = None  # counts, when the move publishes


def move_preview(campaign_id: int, to: str, *, force: bool = False) -> MovePreview:
    """The confirmation of moving ``campaign_id`` to ``to`` ("midterm": a mid-term publication)."""
    c = get_campaign(campaign_id)
    if to == "midterm":
        return MovePreview(c.id, c.name, to, _("Công bố kết quả sơ kết"),
                           [_("Kết quả sơ kết được công bố trên trang công khai, ghi rõ không phải kết quả chính thức.")],
                           publish=publish_check.preview(c.id, "midterm"))
    if to not in TRANSITIONS.get(c.status, ()):
        raise DomainError(_("Không thể chuyển phong trào từ “%(a)s” sang “%(b)s”.", a=status_label(c.status),
                            b=status_label(to)))
    effects = [_(text) for text in MOVE_EFFECTS.get((c.status, to), ())]
    counts = publish_check.preview(c.id, "snapshot") if to == "published" else None
    return MovePreview(c.id, c.name, to, action_label(c.status, to), effects, problems(c, to, force=force), counts)


def action_label(frm: str, to: str) -> str:
    return _(ACTION_LABELS.get((frm, to), to))


def problems(c: Campaign, to: str, *, force: bool = False) -> list[str]:
    """Why ``c`` cannot move to ``to`` now (empty = allowed)."""
    if c.archived_at is not None:
        return [_("Phong trào đang được lưu trữ: hãy bỏ lưu trữ trước.")]
    if to not in TRANSITIONS.get(c.status, ()):
        return [_("Không thể chuyển từ “%(frm)s” sang “%(to)s”.", frm=status_label(c.status), to=status_label(to))]
    out: list[str] = []
    if to == "open":
        if c.framework_version_id is None:
            out.append(_("Chưa chọn bộ tiêu chí chấm điểm."))
        n = db.session.scalar(sa.select(sa.func.count()).select_from(CampaignUnit)
                              .where(CampaignUnit.campaign_id == c.id))
        if not n:
            out.append(_("Chưa có đơn vị tham gia."))
        if c.submission_deadline is None:
            out.append(_("Chưa đặt hạn nộp bài."))
        elif c.status == "draft" and c.submission_deadline <= utcnow():
            out.append(_("Hạn nộp bài đã qua: hãy đặt hạn mới."))
        if c.period_start is None or c.period_end is None:
            out.append(_("Chưa đặt thời gian thực hiện (từ ngày – đến ngày)."))
    elif to == "draft":
        n = entry_count(c.id)
        if n:
            out.append(_("Đã có %(n)s bài dự thi: không thể trả phong trào về nháp.", n=n))
    elif to == "appraisal":
        if c.submission_deadline and c.submission_deadline > utcnow() and not force:
            out.append(_("Hạn nộp bài chưa hết. Đánh dấu “Đóng nhận bài sớm” nếu muốn chuyển thẩm định ngay."))
    elif to == "published" and c.is_stale:
        out.append(_("Kết quả tạm tính chưa cập nhật với thay đổi mới nhất: hãy chờ tính lại xong rồi công bố."))
    return out


def allowed_moves(c: Campaign) -> list[dict]:
    return [{"to": to, "label": action_label(c.status, to), "problems": problems(c, to, force=True)}
            for to in TRANSITIONS.get(c.status, ())]


def _record(c: Campaign, frm: str, to: str, note: str, user_id: int | None) -> None:
    db.session.add(StatusChange(campaign_id=c.id, from_status=frm, to_status=to, by_id=user_id, note=note or ""))
    actor = None
    if user_id is not None:
        actor = db.session.get(User, user_id)
    audit.record("campaign.status", "campaign", c.id, before={"status": frm}, after={"status": to},
                 reason=note or None, campaign_id=c.id, actor=actor)


def transition(campaign_id: int, to: str, *, user_id: int | None = None, note: str = "", force: bool = False) -> Campaign:
    """Move the campaign to ``to`` or raise a DomainError listing every unmet condition."""
    c = get_campaign(campaign_id)
    if c.status == to:
        return c  # idempotent: a double-click does not fail
    issues = problems(c, to, force=force)
    if issues:
        raise Conflict(_("Không thể chuyển sang “%(to)s”: %(why)s", to=status_label(to), why=" ".join(issues)))
    frm = c.status
    if to == "published":
        _publish_snapshot(c, user_id, kind="snapshot", label=note)
        c = get_campaign(campaign_id)
    c.status = to
    if to == "appraisal" and force and c.submission_deadline and c.submission_deadline > utcnow():
        note = (note + " " if note else "") + _("(đóng nhận bài sớm)")
    _record(c, frm, to, note, user_id)
    db.session.commit()
    return c


def midterm_review(campaign_id: int, *, user_id: int | None = None, label: str = "") -> Campaign:
    """Publish a sơ kết (mid-term) result without changing the status."""
    c = get_campaign(campaign_id)
    if c.status not in ("open", "appraisal"):
        raise Conflict(_("Chỉ sơ kết được khi phong trào đang nhận bài hoặc đang thẩm định."))
    if c.is_stale:
        raise Conflict(_("Kết quả tạm tính chưa cập nhật với thay đổi mới nhất: hãy chờ tính lại xong rồi sơ kết."))
    label = label or _("Sơ kết")
    _publish_snapshot(c, user_id, kind="midterm", label=label)
    c = get_campaign(campaign_id)
    _record(c, c.status, c.status, _("Sơ kết: %(label)s", label=label), user_id)
    db.session.commit()
    return c


def _publish_snapshot(c: Campaign, user_id: int | None, *, kind: str, label: str) -> None:
    """Freeze the provisional result through the results service (it commits its own snapshot)."""
    try:
        publishing.publish(c.id, user_id=user_id, kind=kind, label=label)
    except DomainError:
        db.session.rollback()
        raise
