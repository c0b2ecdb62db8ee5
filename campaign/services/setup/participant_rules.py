"""Which units a campaign's participant rule chooses, and why typed unit codes cannot take part.

Units exist over time (the 2025 reform ended every district and reused codes), so a rule is read
on a day: the campaign's period end.
"""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask_babel import get_locale
from flask_babel import gettext as _

from campaign import formats
from campaign.extensions import db
from campaign.models import UNIT_LEVELS, ClusterMember, Unit
from campaign.services.setup.units import active_on


def resolve_participants(rule: dict, on: date | None = None) -> list[Unit]:
    """Units existing on ``on`` (the campaign's period end; today when None) chosen by level, kind,
    cluster or code (the union of all four)."""
    levels = [int(x) for x in rule.get("levels") or []]
    kinds = [k for k in rule.get("kinds") or [] if k in UNIT_LEVELS]
    cluster_ids = [int(x) for x in rule.get("cluster_ids") or []]
    codes = [c.strip() for c in rule.get("unit_codes") or [] if c.strip()]
    conds = []
    if levels:
        conds.append(Unit.level.in_(levels))
    if kinds:
        conds.append(Unit.kind.in_(kinds))
    if cluster_ids:
        conds.append(Unit.id.in_(sa.select(ClusterMember.unit_id).where(ClusterMember.cluster_id.in_(cluster_ids))))
    if codes:
        conds.append(Unit.code.in_(codes))
    if not conds:
        return []
    return list(db.session.scalars(sa.select(Unit).where(sa.or_(*conds), active_on(on), Unit.level > 1)
                                   .order_by(Unit.level, Unit.code)))


def unknown_codes(codes: list[str]) -> list[str]:
    codes = [c.strip() for c in codes if c.strip()]
    if not codes:
        return []
    found = set(db.session.scalars(sa.select(Unit.code).where(Unit.code.in_(codes))))
    return [c for c in codes if c not in found]


def unit_codes_error(codes: list[str], on: date | None) -> str | None:
    """Why typed unit codes cannot take part, or None: a code no unit has, or one whose unit(s) had
    ended by ``on`` (the campaign's period end; today when None) — such a code was silently left out."""
    bad = unknown_codes(codes)
    if bad:
        return _("Không có đơn vị mã: %(codes)s.", codes=", ".join(bad))
    codes = [c.strip() for c in codes if c.strip()]
    live = set(db.session.scalars(sa.select(Unit.code).where(Unit.code.in_(codes), active_on(on))))
    ended = [c for c in dict.fromkeys(codes) if c not in live]
    if not ended:
        return None
    last = {}
    for unit in db.session.scalars(sa.select(Unit).where(Unit.code.in_(ended)).order_by(Unit.valid_to)):
        last[unit.code] = unit  # the latest unit that had the code
    locale = str(get_locale() or "vi")
    named = "; ".join(_("%(code)s – %(name)s (ngừng hoạt động từ %(day)s)", code=c, name=last[c].name,
                        day=formats.day(last[c].valid_to, locale)) for c in ended)
    return _("Các đơn vị sau không còn hoạt động vào cuối kỳ thi đua nên không thể tham gia: %(units)s. "
             "Hãy bỏ các mã đó hoặc nhập mã của đơn vị mới.", units=named)


def default_levels() -> list[str]:
    """The level a new campaign's form starts from: districts while any is active, else communes and
    wards (two-tier local government from 1 July 2025: no district is left)."""
    districts = db.session.scalar(sa.select(sa.func.count()).select_from(Unit)
                                  .where(Unit.level == 2, active_on(None)))
    return ["2"] if districts else ["3"]
