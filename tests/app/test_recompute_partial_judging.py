"""Judged indicators whose judges scored only some entries: stored rule points fill the gaps."""
from __future__ import annotations

import sqlalchemy as sa

from campaign.extensions import db
from campaign.models import UnitResult
from campaign.services.results import recompute
from tests.results_helpers import judge, rich_framework, save_values

VALUES = {"I.1": 90.0, "I.2": 12.0, "I.3": True, "I.4": 7.0, "II.1": 7.0, "II.2": "good", "II.3": 4.0,
          "B.1": 4.0, "P.1": 1.0}


def test_entries_judged_on_different_indicators_of_one_group(app, factory):
    # Worked out by hand on rich_framework (see test_recompute_engine's hand example):
    # I = 41, B = 5, P = -4 for every entry; II = II.1 18 + II.2 + II.3.
    # a: judges on II.2 only (20, 15 → 17.5); II.3 keeps its stored manual points 4 → II = 39.5, total 81.5
    # b: judges on II.3 only (6, 7 → 6.5); II.2 keeps its level "good" = 20      → II = 44.5, total 86.5
    # c: no judges at all: II.2 level 20, II.3 stored 4                           → II = 42,   total 84
    ua, ub, uc = factory.unit(), factory.unit(), factory.unit()
    doc = rich_framework("fw-partial")
    c = factory.campaign(doc=doc, units=[ua, ub, uc])
    ea, eb, ec = (factory.entry(c, u, status="submitted") for u in (ua, ub, uc))
    for e in (ea, eb, ec):
        save_values(e, doc, VALUES)
    j1, j2 = factory.user("judge"), factory.user("judge")
    judge(ea, j1, {"II.2": 20.0})
    judge(ea, j2, {"II.2": 15.0})
    judge(eb, j1, {"II.3": 6.0})
    judge(eb, j2, {"II.3": 7.0})
    db.session.commit()
    assert recompute.recompute_provisional(c.id)["status"] == "written"
    rows = {r.unit_id: r for r in db.session.scalars(sa.select(UnitResult))}
    assert rows[ua.id].group_scores["II"] == 39.5 and rows[ua.id].total == 81.5
    assert rows[ub.id].group_scores["II"] == 44.5 and rows[ub.id].total == 86.5
    assert rows[uc.id].group_scores["II"] == 42.0 and rows[uc.id].total == 84.0
    assert [rows[u.id].rank for u in (ub, uc, ua)] == [1, 2, 3]
