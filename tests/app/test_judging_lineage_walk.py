"""Walk findings beside the lineage work: the council page warns when a final score rests on only some of the
entry's judges ("Mới 1/2 giám khảo chấm"), and says nothing when every judge has submitted."""
from __future__ import annotations

import re

from campaign.extensions import db
from campaign.models import Assignment, JudgeScore
from tests.judging_helpers import add_panel, district_campaign, node_ids


def _warning(html: str, entry_id: int) -> str:
    row = re.search(rf'data-testid="council-row-{entry_id}".*?</tr>', html, re.S).group(0)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", cells[-1])).strip()  # the "Cảnh báo" column


def test_council_warns_when_a_final_score_has_only_some_judges(client, factory):
    factory.user("admin", username="boss")
    campaign, _districts, entries = district_campaign(factory, n_entries=2, settings={"judges_per_entry": 2})
    ids = node_ids(campaign)
    j1, j2 = factory.user("judge", username="j1"), factory.user("judge", username="j2")
    add_panel(campaign, [j1, j2])
    # entry 0: both judges submitted (the same marks: nothing to flag); entry 1: one of two
    for entry, judge, status in ((entries[0], j1, "submitted"), (entries[0], j2, "submitted"),
                                 (entries[1], j1, "submitted"), (entries[1], j2, "assigned")):
        a = Assignment(entry_id=entry.id, judge_id=judge.id, status=status)
        db.session.add(a)
        db.session.flush()
        if status == "submitted":
            db.session.add(JudgeScore(assignment_id=a.id, indicator_id=ids["II.1"], points=25))
    db.session.commit()
    client.login("boss")
    html = client.get(f"/judging/admin/campaigns/{campaign.id}/council").get_data(as_text=True)
    assert _warning(html, entries[1].id) == "Mới 1/2 giám khảo chấm"
    assert _warning(html, entries[0].id) == ""
