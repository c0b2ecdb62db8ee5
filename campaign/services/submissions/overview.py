"""The officer's dashboard and an entry's submitted versions (read-only views of entries)."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import get_locale
from flask_babel import gettext as _

from campaign import formats
from campaign.extensions import db
from campaign.models import Campaign, CampaignUnit, DeadlineExtension, Entry, EntryVersion, User
from campaign.models.base import utcnow
from campaign.services.errors import Forbidden, NotFound
from campaign.services.setup.framework_cache import parsed
from campaign.services.submissions.entries import (
    completeness,
    entry_for_view,
    evidence_counts,
    label,
    stored_posted,
)
from campaign.words import value_shown
from scoring.rules import parse_number

# --------------------------------------------------------------------------- versions

def versions(entry_id: int, user: User) -> tuple[Entry, list[EntryVersion]]:
    entry = entry_for_view(entry_id, user)
    rows = list(db.session.scalars(sa.select(EntryVersion).where(EntryVersion.entry_id == entry.id)
                                   .order_by(EntryVersion.number)))
    return entry, rows


def version_diff(entry_id: int, user: User, number: int) -> dict:
    """Differences of version ``number`` against the previous one (or an empty entry)."""
    entry, rows = versions(entry_id, user)
    by_num = {v.number: v for v in rows}
    if number not in by_num:
        raise NotFound(_("Không tìm thấy phiên bản."))
    new = by_num[number].content.get("values", {})
    old = by_num[number - 1].content.get("values", {}) if number - 1 in by_num else {}
    fw = parsed(entry.framework_version_id)
    changes = []
    for n in fw.indicators():
        a, b = old.get(n.code) or {}, new.get(n.code) or {}
        fields = []
        for key in ("raw", "na", "explanation", "points"):
            if a.get(key) != b.get(key):
                fields.append({"field": key, "old": _shown(key, a.get(key), n), "new": _shown(key, b.get(key), n)})
        fa = sorted(f["name"] for f in a.get("files") or [])
        fb = sorted(f["name"] for f in b.get("files") or [])
        if fa != fb:
            fields.append({"field": "files", "old": ", ".join(fa), "new": ", ".join(fb)})
        if fields:
            changes.append({"code": n.code, "name": label(n.name), "fields": fields})
    return {"entry": entry, "version": by_num[number], "previous": by_num.get(number - 1),
            "changes": changes, "versions": rows}


def _shown(field: str, value, node) -> str | None:
    """A version's recorded value as the officer reads it: "Có", "5,5", a choice's name, points as "6,00"."""
    if value is None or value == "":
        return None
    locale = str(get_locale() or "vi")
    if field == "na":
        return _("Có") if value else _("Không")
    if field == "points":
        return formats.number(value, locale) if isinstance(value, (int, float)) else str(value)
    if field != "raw":
        return str(value)
    text = str(value).strip()
    if node.value_type == "yes_no" or getattr(node.rule, "kind", None) == "yes_no":
        if text.lower() in ("yes", "y", "1", "1.0", "true", "có", "co"):
            return value_shown(True, node, locale)
        if text.lower() in ("no", "n", "0", "0.0", "false", "không", "khong"):
            return value_shown(False, node, locale)
    if node.value_type in ("number", "percentage", "count"):
        try:
            return formats.plain(parse_number(text), locale, grouped=True)
        except ValueError:
            return text
    return value_shown(text, node, locale)


# --------------------------------------------------------------------------- dashboard

def dashboard(user: User, now: datetime | None = None) -> list[dict]:
    """Campaigns my unit takes part in, with deadline, completeness and entry status."""
    if user.role != "officer" or user.unit_id is None:
        raise Forbidden(_("Tài khoản chưa được gắn với đơn vị nào."))
    now = now or utcnow()
    rows = db.session.execute(
        sa.select(Campaign, Entry, DeadlineExtension.new_deadline)
        .join(CampaignUnit, CampaignUnit.campaign_id == Campaign.id)
        .outerjoin(Entry, sa.and_(Entry.campaign_id == Campaign.id, Entry.unit_id == user.unit_id))
        .outerjoin(DeadlineExtension, sa.and_(DeadlineExtension.campaign_id == Campaign.id,
                                              DeadlineExtension.unit_id == user.unit_id))
        .where(CampaignUnit.unit_id == user.unit_id, Campaign.status != "draft",
               Campaign.archived_at.is_(None))
        .order_by(Campaign.submission_deadline.is_(None), Campaign.submission_deadline, Campaign.id)).all()
    out = []
    for campaign, entry, ext in rows:
        deadline = ext or campaign.submission_deadline
        info = {"campaign": campaign, "entry": entry, "deadline": deadline, "extended": ext is not None,
                "status": entry.status if entry else "not_started", "completeness": None,
                "remaining": _remaining(deadline, now), "overdue": bool(deadline and now > deadline)}
        if entry is not None:
            fw = parsed(entry.framework_version_id)
            info["completeness"] = completeness(fw, stored_posted(entry), evidence_counts(entry.id))
        out.append(info)
    return out


def _remaining(deadline: datetime | None, now: datetime) -> str:
    if deadline is None:
        return ""
    secs = int((deadline - now).total_seconds())
    if secs <= 0:
        return _("Đã quá hạn")
    days, rest = divmod(secs, 86400)
    hours = rest // 3600
    if days:
        return _("Còn %(d)s ngày %(h)s giờ", d=days, h=hours)
    return _("Còn %(h)s giờ %(m)s phút", h=hours, m=(rest % 3600) // 60)
