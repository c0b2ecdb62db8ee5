"""The demo goes through the platform's conflict rule: judge1 (Phạm Quốc Dũng) works for Quận Hoàn Kiếm, closed on
1 July 2025, so the 2026 campaign never gives him a ward formed from Hoàn Kiếm's wards (Phường Cửa Nam among them),
the assignment table flags nothing, and the panel shows that his work unit has closed."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import aliased

from campaign.demo import load
from campaign.demo_2026 import SLUG
from campaign.extensions import db
from campaign.models import Assignment, Campaign, Entry, Unit, UnitLineage, User

pytestmark = pytest.mark.slow


def test_demo_2026_never_assigns_a_ward_carved_out_of_the_judges_old_district(app, client):
    load()
    camp = db.session.scalar(sa.select(Campaign).where(Campaign.slug == SLUG))
    dung = db.session.scalar(sa.select(User).where(User.username == "judge1"))
    assert dung.unit.name == "Quận Hoàn Kiếm"
    old_ward, old_district = aliased(Unit), aliased(Unit)
    # the 2026 units formed from wards that were under Quận Hoàn Kiếm (Cửa Nam among them)
    from_hoan_kiem = set(db.session.scalars(
        sa.select(UnitLineage.successor_id).join(old_ward, old_ward.id == UnitLineage.predecessor_id)
        .join(old_district, old_district.id == old_ward.parent_id).where(old_district.name == "Quận Hoàn Kiếm")))
    cua_nam = db.session.scalar(sa.select(Unit).where(Unit.name == "Phường Cửa Nam", Unit.valid_to.is_(None)))
    assert cua_nam.id in from_hoan_kiem
    his = set(db.session.scalars(sa.select(Entry.unit_id).join(Assignment, Assignment.entry_id == Entry.id)
                                 .where(Entry.campaign_id == camp.id, Assignment.judge_id == dung.id)))
    assert his and not his & from_hoan_kiem
    # still three judges on every entry
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Assignment).join(Entry)
                             .where(Entry.campaign_id == camp.id)) == 126 * 3

    client.login("admin", "admin-demo")
    html = client.get(f"/judging/admin/campaigns/{camp.id}/assignments").get_data(as_text=True)
    assert html.count('data-testid="entry-') == 126 and 'data-testid="conflict-badge"' not in html
    row = re.search(r'data-testid="entry-\d+"><td>Phường Cửa Nam .*?</tr>', html, re.S).group(0)
    judges = re.findall(r"<strong>([^<]*)</strong>", row)
    assert len(judges) == 3 and not any(j.startswith("Phạm Quốc Dũng") for j in judges)
    panel = client.get(f"/judging/admin/campaigns/{camp.id}/panel").get_data(as_text=True)
    row = re.search(r'data-testid="member-judge1".*?</tr>', panel, re.S).group(0)
    assert "Quận Hoàn Kiếm (ngừng hoạt động từ 01/07/2025)" in re.sub(r"<[^>]+>", "", row)
