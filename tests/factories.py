"""Small builders for test data; each returns a flushed model instance."""
from __future__ import annotations

import itertools
from datetime import timedelta

from campaign.models import UNIT_LEVELS, Campaign, CampaignUnit, Entry, Unit, User
from campaign.models.base import utcnow
from campaign.services.setup.frameworks import install_version

PASSWORD = "password-123"
_seq = itertools.count(1)


def small_framework(code: str = "fw-test") -> dict:
    """A 100-point framework with one of most rule kinds; arithmetic is easy by hand."""
    return {
        "format": "thidua-framework/1", "code": code, "scale": 100,
        "name": {"vi": "Khung thử nghiệm", "en": "Test framework"},
        "groups": [
            {"code": "I", "name": {"vi": "Nhóm I", "en": "Group I"}, "kind": "regular", "max_points": 60,
             "children": [
                 {"code": "I.1", "name": {"vi": "Tỷ lệ BHYT", "en": "Health insurance rate"},
                  "max_points": 20, "value_type": "percentage", "unit": "%", "min": 0, "max": 100,
                  "required": True, "rule": {"kind": "linear", "floor": 50, "target": 85, "direction": "higher"},
                  "evidence": {"required": True, "file_types": ["pdf", "png", "jpeg"], "explanation_allowed": True}},
                 {"code": "I.2", "name": {"vi": "Có quy hoạch", "en": "Has a plan"}, "max_points": 20,
                  "value_type": "yes_no", "required": True, "rule": {"kind": "yes_no"}},
                 {"code": "I.3", "name": {"vi": "Số mô hình", "en": "Number of models"}, "max_points": 20,
                  "value_type": "count", "min": 0, "rule": {"kind": "count", "per_item": 5}},
             ]},
            {"code": "II", "name": {"vi": "Nhóm II", "en": "Group II"}, "kind": "regular", "max_points": 40,
             "children": [
                 {"code": "II.1", "name": {"vi": "Đánh giá chất lượng", "en": "Quality"}, "max_points": 40,
                  "value_type": "choice", "choices": [
                      {"code": "good", "label": {"vi": "Tốt", "en": "Good"}},
                      {"code": "fair", "label": {"vi": "Khá", "en": "Fair"}}],
                  "rule": {"kind": "judged", "levels": [
                      {"code": "good", "points": 40, "descriptor": {"vi": "Tốt", "en": "Good"}},
                      {"code": "fair", "points": 25, "descriptor": {"vi": "Khá", "en": "Fair"}}]}},
             ]},
        ],
    }


class Factory:
    def __init__(self, session):
        self.session = session

    def unit(self, kind: str = "urban_district", parent: Unit | None = None, **kw) -> Unit:
        n = next(_seq)
        unit = Unit(code=kw.pop("code", f"T{n:04d}"), name=kw.pop("name", f"Đơn vị {n}"),
                    kind=kind, level=UNIT_LEVELS[kind], parent=parent, **kw)
        self.session.add(unit)
        self.session.flush()
        return unit

    def user(self, role: str = "officer", unit: Unit | None = None, username: str | None = None, **kw) -> User:
        user = User(username=username or f"{role}{next(_seq)}", role=role, unit=unit,
                    full_name=kw.pop("full_name", ""), **kw)
        user.set_password(PASSWORD)
        self.session.add(user)
        self.session.flush()
        return user

    def campaign(self, doc: dict | None = None, units: list[Unit] = (), status: str = "open", **kw) -> Campaign:
        n = next(_seq)
        doc = doc or small_framework(f"fw-{n}")
        version = install_version(doc)
        campaign = Campaign(slug=kw.pop("slug", f"campaign-{n}"), name=kw.pop("name", f"Phong trào {n}"),
                            status=status, framework_version_id=version.id,
                            submission_deadline=kw.pop("submission_deadline", utcnow() + timedelta(days=7)),
                            settings=kw.pop("settings", {}), **kw)
        self.session.add(campaign)
        self.session.flush()
        for unit in units:
            self.session.add(CampaignUnit(campaign_id=campaign.id, unit_id=unit.id))
        self.session.flush()
        return campaign

    def entry(self, campaign: Campaign, unit: Unit, **kw) -> Entry:
        entry = Entry(campaign_id=campaign.id, unit_id=unit.id,
                      framework_version_id=campaign.framework_version_id,
                      blind_code=kw.pop("blind_code", f"E{next(_seq):05d}"), **kw)
        self.session.add(entry)
        self.session.flush()
        return entry
