"""Builders for results/recompute tests: frameworks with every rule kind, random entries."""
from __future__ import annotations

import random

import sqlalchemy as sa

from campaign.extensions import db
from campaign.models import (
    Assignment,
    Cluster,
    Entry,
    EntryNodeScore,
    IndicatorNode,
    IndicatorValue,
    JudgeScore,
    Override,
    ScoreRun,
    UnitResult,
)
from scoring.framework import parse_framework
from scoring.rules import NA, indicator_points
from tests.scoring_helpers import name, random_value, rich_framework  # noqa: F401 - re-exported for tests


def save_values(entry: Entry, fw_doc: dict, values: dict) -> None:
    """Store values the way the entry form does: parsed value + rule points set on save."""
    fw = parse_framework(fw_doc)
    nodes = {n.code: n for n in fw.indicators()}
    ids = dict(db.session.execute(sa.select(IndicatorNode.code, IndicatorNode.id)
                                  .where(IndicatorNode.framework_version_id == entry.framework_version_id)).all())
    existing = {iv.indicator_id: iv for iv in db.session.scalars(
        sa.select(IndicatorValue).where(IndicatorValue.entry_id == entry.id))}
    for code, v in values.items():
        node = nodes[code]
        iv = existing.get(ids[code]) or IndicatorValue(entry_id=entry.id, indicator_id=ids[code])
        iv.is_na = v is NA
        iv.value_num = None
        iv.value_text = None
        if v is not None and v is not NA:
            if node.rule.kind == "judged":
                iv.value_text = v
            elif isinstance(v, bool):
                iv.value_num = 1.0 if v else 0.0
            else:
                iv.value_num = float(v)
        iv.raw = None if v is None else str(v)
        iv.points = indicator_points(node, v).points
        db.session.add(iv)
    db.session.flush()


def judge(entry: Entry, judge_user, scores: dict, status: str = "submitted") -> Assignment:
    ids = dict(db.session.execute(sa.select(IndicatorNode.code, IndicatorNode.id)
                                  .where(IndicatorNode.framework_version_id == entry.framework_version_id)).all())
    a = db.session.scalar(sa.select(Assignment).where(Assignment.entry_id == entry.id,
                                                      Assignment.judge_id == judge_user.id))
    if a is None:
        a = Assignment(entry_id=entry.id, judge_id=judge_user.id, status=status)
        db.session.add(a)
        db.session.flush()
    a.status = status
    for code, pts in scores.items():
        js = db.session.scalar(sa.select(JudgeScore).where(JudgeScore.assignment_id == a.id,
                                                           JudgeScore.indicator_id == ids[code]))
        if js is None:
            db.session.add(JudgeScore(assignment_id=a.id, indicator_id=ids[code], points=pts))
        else:
            js.points = pts
    db.session.flush()
    return a


def override(entry: Entry, target: str, points: float, reason: str = "Hội đồng quyết định") -> Override:
    o = Override(entry_id=entry.id, target=target, points=points, reason=reason)
    db.session.add(o)
    db.session.flush()
    return o


def cluster(campaign, code: str) -> Cluster:
    c = Cluster(code=code, name=f"Cụm {code}", campaign_id=campaign.id)
    db.session.add(c)
    db.session.flush()
    return c


def random_campaign(factory, rng: random.Random, n_units: int = 12, *, judges: int = 3, overrides: bool = True,
                    settings: dict | None = None):
    """A campaign with random values, judges' scores on judged/manual indicators and a few overrides.

    Returns (campaign, doc, {entry_id: (values, judged_by_judge, overrides)}).
    """
    units = [factory.unit() for _ in range(n_units)]
    doc = rich_framework(f"fw-rand-{rng.randrange(10**9)}")
    c = factory.campaign(doc=doc, units=units, settings=settings or {})
    fw = parse_framework(doc)
    judge_users = [factory.user("judge") for _ in range(judges)]
    data = {}
    for u in units:
        e = factory.entry(c, u, status="submitted")
        vals = {n.code: random_value(n, rng) for n in fw.indicators()}
        save_values(e, doc, vals)
        scores: dict = {}
        if rng.random() < 0.7:
            for j in judge_users:
                if rng.random() < 0.8:
                    s = {"II.2": float(rng.choice([8, 12, 15, 20, 21])), "II.3": float(rng.randint(0, 10))}
                    st = "submitted" if rng.random() < 0.85 else "draft"
                    judge(e, j, s, st)
                    if st == "submitted":
                        scores[j.id] = s
        ovr = {}
        if overrides and rng.random() < 0.2:
            target = rng.choice(["I.2", "II", "TOTAL"])
            ovr[target] = float(rng.randint(0, 60))
            override(e, target, ovr[target])
        data[e.id] = (vals, scores, ovr)
    db.session.commit()
    return c, doc, data


def provisional_results() -> list[tuple]:
    """Every stored figure of the provisional results, by unit (to compare two recompute paths)."""
    return [(r.unit_id, r.total, r.own_total, r.rank, r.rank_in_cluster, r.tied, r.band, r.group_scores,
             r.interval_low, r.interval_high, r.flagged, r.explanation)
            for r in db.session.scalars(sa.select(UnitResult).join(ScoreRun)
                                        .where(ScoreRun.kind == "provisional").order_by(UnitResult.unit_id))]


def ledger_rows(cid: int) -> list[tuple]:
    """The campaign's ledger rows, in a stable order."""
    return [tuple(r) for r in db.session.execute(
        sa.select(EntryNodeScore.entry_id, EntryNodeScore.node_id, EntryNodeScore.points, EntryNodeScore.points_low,
                  EntryNodeScore.points_high, EntryNodeScore.judged, EntryNodeScore.spread)
        .where(EntryNodeScore.campaign_id == cid).order_by(EntryNodeScore.entry_id, EntryNodeScore.node_id))]
