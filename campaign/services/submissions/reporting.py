"""Reporting rates (like DHIS2): expected units, submitted on time, late, missing.

A unit is *on time* when its first submission came at or before its deadline (its
extension's when one was granted), *late* after it, *missing* when it never submitted.
Rates are computed per campaign, per district (a district and its communes) and for the
communes of one district (drill-down), with set-based queries.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import aliased

from campaign.extensions import db
from campaign.models import Campaign, CampaignUnit, DeadlineExtension, Entry, Unit
from campaign.safe_export import csv_text
from campaign.services.errors import NotFound
from campaign.services.setup.campaigns import get_campaign, list_campaigns
from campaign.services.submissions.evidence import shared_hashes
from campaign.vietnamese import sort_key


def _status_rows(campaign: Campaign):
    """(unit, parent_id, parent_name, status, first_submitted_at) for every participating unit."""
    parent = aliased(Unit)
    deadline = sa.func.coalesce(DeadlineExtension.new_deadline, campaign.submission_deadline)
    return db.session.execute(
        sa.select(Unit.id, Unit.code, Unit.name, Unit.level, Unit.parent_id, parent.name.label("parent_name"),
                  parent.level.label("parent_level"), Entry.status, Entry.first_submitted_at, deadline.label("deadline"))
        .join(CampaignUnit, CampaignUnit.unit_id == Unit.id)
        .outerjoin(parent, parent.id == Unit.parent_id)
        .outerjoin(Entry, sa.and_(Entry.campaign_id == campaign.id, Entry.unit_id == Unit.id))
        .outerjoin(DeadlineExtension, sa.and_(DeadlineExtension.campaign_id == campaign.id,
                                              DeadlineExtension.unit_id == Unit.id))
        .where(CampaignUnit.campaign_id == campaign.id)
        .order_by(Unit.code)).all()


def classify(first_submitted_at, deadline) -> str:
    if first_submitted_at is None:
        return "missing"
    if deadline is None or first_submitted_at <= deadline:
        return "on_time"
    return "late"


def _tally(items) -> dict:
    t = {"expected": 0, "on_time": 0, "late": 0, "missing": 0}
    for it in items:
        t["expected"] += 1
        t[it["state"]] += 1
    t["rate"] = round(100.0 * (t["on_time"] + t["late"]) / t["expected"], 1) if t["expected"] else 0.0
    t["on_time_rate"] = round(100.0 * t["on_time"] / t["expected"], 1) if t["expected"] else 0.0
    return t


def unit_states(campaign_id: int) -> tuple[Campaign, list[dict]]:
    """The campaign and each participating unit's submission state (on time, late, missing)."""
    campaign = get_campaign(campaign_id)
    items = []
    for r in _status_rows(campaign):
        items.append({"unit_id": r.id, "code": r.code, "name": r.name, "level": r.level,
                      "parent_id": r.parent_id, "parent_name": r.parent_name, "parent_level": r.parent_level,
                      "status": r.status or "not_started", "submitted_at": r.first_submitted_at,
                      "deadline": r.deadline, "state": classify(r.first_submitted_at, r.deadline)})
    return campaign, items


def _district_key(it: dict) -> tuple[int, str]:
    """A commune counts under its district; a district-level unit under itself."""
    if it["level"] >= 3 and it["parent_id"] is not None:
        return it["parent_id"], it["parent_name"] or ""
    return it["unit_id"], it["name"]


def campaign_rates(campaign_id: int) -> dict:
    """Rates of the whole campaign and per district."""
    campaign, items = unit_states(campaign_id)
    districts: dict[int, dict] = {}
    for it in items:
        key, name = _district_key(it)
        districts.setdefault(key, {"district_id": key, "name": name, "items": []})["items"].append(it)
    rows = [{"district_id": d["district_id"], "name": d["name"], **_tally(d["items"])}
            for d in sorted(districts.values(), key=lambda d: sort_key(d["name"]))]
    return {"campaign": campaign, "total": _tally(items), "districts": rows}


def campaign_page(campaign_id: int) -> dict:
    """What the commission's reporting page of a campaign shows: rates, and files shared by several units."""
    return {**campaign_rates(campaign_id), "shared": shared_hashes(campaign_id)}


def district_detail(campaign_id: int, district_id: int) -> dict:
    """Rates of one district's units (drill-down)."""
    campaign, items = unit_states(campaign_id)
    district = db.session.get(Unit, district_id)
    if district is None:
        raise NotFound(_("Không tìm thấy đơn vị."))
    mine = [it for it in items if _district_key(it)[0] == district_id]
    return {"campaign": campaign, "district": district, "units": mine, "total": _tally(mine)}


def overview() -> list[dict]:
    """Rates of every campaign that receives or received entries (not drafts, not archived), newest first."""
    campaigns = [row["campaign"] for row in list_campaigns() if row["campaign"].status != "draft"]
    return [{"campaign": c, **_tally(unit_states(c.id)[1])} for c in campaigns]


def csv_export(campaign_id: int) -> tuple[str, str]:
    """(CSV text, file name) of every unit's state; formula-safe (campaign.safe_export)."""
    campaign, items = unit_states(campaign_id)
    header = ["district", "unit_code", "unit_name", "level", "entry_status", "state", "deadline_utc", "submitted_utc"]
    rows = [[_district_key(it)[1], it["code"], it["name"], it["level"], it["status"], it["state"],
             it["deadline"].isoformat(timespec="seconds") if it["deadline"] else "",
             it["submitted_at"].isoformat(timespec="seconds") if it["submitted_at"] else ""]
            for it in sorted(items, key=lambda i: (sort_key(_district_key(i)[1]), i["code"]))]  # dictionary order
    return csv_text(header, rows), f"{campaign.slug}-reporting.csv"
