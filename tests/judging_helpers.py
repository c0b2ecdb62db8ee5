"""Builders for judging tests: a campaign of district entries with values, a panel of judges."""
from __future__ import annotations

import sqlalchemy as sa

from campaign.extensions import db
from campaign.models import IndicatorNode, IndicatorValue, PanelMember

# values of tests.factories.small_framework: I.1 linear 50→85 (20 pts), I.2 yes/no (20),
# I.3 count ×5 (20), II.1 judged good=40 / fair=25.
DEFAULT_VALUES = {"I.1": 78.0, "I.2": 1.0, "I.3": 3.0, "II.1": "good"}
# computed: I.1 = (78-50)/35*20 = 16, I.2 = 20, I.3 = 15; II.1 is chosen by judges


def node_ids(campaign) -> dict[str, int]:
    return dict(db.session.execute(sa.select(IndicatorNode.code, IndicatorNode.id).where(
        IndicatorNode.framework_version_id == campaign.framework_version_id)).all())


def set_values(entry, campaign, values=None, self_points=None, explanations=None):
    ids = node_ids(campaign)
    values = DEFAULT_VALUES if values is None else values
    for code, v in values.items():
        iv = IndicatorValue(entry_id=entry.id, indicator_id=ids[code], raw=str(v),
                            value_num=v if isinstance(v, (int, float)) else None,
                            value_text=v if isinstance(v, str) else None,
                            self_points=(self_points or {}).get(code),
                            explanation=(explanations or {}).get(code, ""))
        db.session.add(iv)
    db.session.flush()


def district_campaign(factory, n_entries=3, settings=None, status="appraisal", city=None):
    """A campaign with ``n_entries`` submitted district entries under one city."""
    city = city or factory.unit("city", name="Thành phố Hà Nội")
    districts = [factory.unit("urban_district", parent=city, name=f"Quận Thử {i:02d}") for i in range(n_entries)]
    campaign = factory.campaign(units=districts, status=status, settings=settings or {})
    entries = []
    for d in districts:
        e = factory.entry(campaign, d, status="submitted")
        set_values(e, campaign)
        entries.append(e)
    return campaign, districts, entries


def add_panel(campaign, judges, caps=None):
    for j in judges:
        db.session.add(PanelMember(campaign_id=campaign.id, judge_id=j.id, max_load=(caps or {}).get(j.id)))
    db.session.flush()
