"""Council decisions: judges' aggregation, disagreement flags, overrides, statistics, inflation.

All maths comes from ``scoring`` (aggregate, zscore_normalise, disagreement, judge_stats,
score_entry); this module only loads the rows and arranges the results.

Decisions:
* Only *submitted* judge scores count.
* Normalisation (``settings.normalise``) is z-score within the campaign over all submitted
  scores of non-penalty indicators (penalty points are negative and keep their raw value).
* ``disagreement_threshold`` is in points and applies to each indicator; when it is not
  set, an indicator is flagged when judges differ by more than a quarter of its maximum.
  An entry is flagged when any indicator is, or when judges' totals differ by more than
  ``disagreement_threshold_total`` (default: 10 % of the framework scale).
"""
from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import get_locale
from flask_babel import gettext as _

from campaign import formats
from campaign.extensions import db
from campaign.labels import N_
from campaign.models import Assignment, Campaign, Entry, IndicatorNode, IndicatorValue, JudgeScore, Override, Unit, User
from campaign.services import audit
from campaign.services.errors import DomainError, Forbidden, NotFound
from campaign.services.judging.panel import person
from campaign.services.judging.workspace import localized, point_range, rule_value
from campaign.services.results.freshness import mark_stale
from campaign.services.setup.campaigns import get_campaign
from campaign.services.setup.framework_cache import parsed
from campaign.services.submissions.derived import unit_contexts
from campaign.vietnamese import sort_key
from scoring.aggregate import JudgeScore as ScoreItem
from scoring.aggregate import aggregate, disagreement, judge_stats, zscore_normalise
from scoring.entry import score_entry
from scoring.rules import parse_number, round_points
from scoring.unit_params import UnitContext

AGGREGATION_LABELS = {"mean": N_("Trung bình"), "median": N_("Trung vị"),
                      "trimmed_mean": N_("Trung bình bỏ điểm cao nhất và thấp nhất")}
SOURCE_LABELS = {"rule": N_("Theo quy tắc"), "judges": N_("Giám khảo"), "override": N_("Hội đồng điều chỉnh"),
                 "na": N_("Không áp dụng")}


def aggregation_label(method: str) -> str:
    return _(AGGREGATION_LABELS.get(method, method))


def source_label(source: str) -> str:
    return _(SOURCE_LABELS.get(source, source))


@dataclass
class CouncilData:
    campaign: Campaign
    fw: object
    method: str
    normalise: bool
    code_of: dict[int, str]
    raw: dict[tuple[int, str], dict[int, float]]  # (entry, code) -> judge -> points
    used: dict[tuple[int, str], dict[int, float]]  # after normalisation
    aggregated: dict[int, dict[str, float]]  # entry -> code -> points
    flags: dict[int, set[str]] = field(default_factory=dict)
    values: dict[int, dict[str, object]] = field(default_factory=dict)
    self_points: dict[int, dict[str, float]] = field(default_factory=dict)
    overrides: dict[int, dict[str, Override]] = field(default_factory=dict)
    units: dict[int, UnitContext] = field(default_factory=dict)  # entry -> the unit's kind/province (its targets)


def _threshold(settings: dict, node) -> float:
    t = settings.get("disagreement_threshold")
    return float(t) if t is not None else node.max_points / 4.0


def load(campaign_id: int) -> CouncilData:
    campaign = get_campaign(campaign_id)
    settings = campaign.settings or {}
    fw = parsed(campaign.framework_version_id)
    nodes = {n.code: n for n in fw.indicators()}
    code_of = dict(db.session.execute(sa.select(IndicatorNode.id, IndicatorNode.code).where(
        IndicatorNode.framework_version_id == campaign.framework_version_id, IndicatorNode.is_indicator)).all())
    rows = db.session.execute(
        sa.select(Assignment.entry_id, Assignment.judge_id, JudgeScore.indicator_id, JudgeScore.points)
        .join(JudgeScore, JudgeScore.assignment_id == Assignment.id).join(Entry, Entry.id == Assignment.entry_id)
        .where(Entry.campaign_id == campaign_id, Assignment.status == "submitted")
        .order_by(Assignment.entry_id, Assignment.judge_id, JudgeScore.indicator_id)).all()
    raw: dict[tuple[int, str], dict[int, float]] = defaultdict(dict)
    for entry_id, judge_id, indicator_id, points in rows:
        code = code_of.get(indicator_id)
        if code in nodes:
            raw[(entry_id, code)][judge_id] = points
    normalise = bool(settings.get("normalise"))
    used = {k: dict(v) for k, v in raw.items()}
    if normalise:
        items = [ScoreItem(j, k, p, nodes[k[1]].max_points) for k, v in raw.items() for j, p in v.items()
                 if point_range(nodes[k[1]])[0] >= 0]
        for s in zscore_normalise(items):
            used[s.item_id][s.judge_id] = s.points
    method = settings.get("aggregation") or "mean"
    trim = int(settings.get("trim_min_judges") or 3)
    aggregated: dict[int, dict[str, float]] = defaultdict(dict)
    flags: dict[int, set[str]] = defaultdict(set)
    for (entry_id, code), by_judge in used.items():
        pts = list(by_judge.values())
        aggregated[entry_id][code] = aggregate(pts, method, trim)
        if disagreement(list(raw[(entry_id, code)].values()), _threshold(settings, nodes[code])):
            flags[entry_id].add(code)
    data = CouncilData(campaign, fw, method, normalise, code_of, dict(raw), used, dict(aggregated), dict(flags))
    for iv in db.session.scalars(sa.select(IndicatorValue).join(Entry, Entry.id == IndicatorValue.entry_id)
                                 .where(Entry.campaign_id == campaign_id)):
        code = code_of.get(iv.indicator_id)
        if code in nodes:
            data.values.setdefault(iv.entry_id, {})[code] = rule_value(iv, nodes[code])
            if iv.self_points is not None:
                data.self_points.setdefault(iv.entry_id, {})[code] = iv.self_points
    unit_of = dict(db.session.execute(sa.select(Entry.id, Entry.unit_id).where(Entry.campaign_id == campaign_id)).all())
    contexts = unit_contexts(unit_of.values())
    data.units = {e: contexts[u] for e, u in unit_of.items() if u in contexts}
    for o in db.session.scalars(sa.select(Override).join(Entry, Entry.id == Override.entry_id)
                                .where(Entry.campaign_id == campaign_id, Override.active).order_by(Override.id)):
        data.overrides.setdefault(o.entry_id, {})[o.target] = o
    return data


def _judge_totals(data: CouncilData, entry_id: int) -> dict[int, float]:
    per_judge: dict[int, dict[str, float]] = defaultdict(dict)
    for (e, code), by_judge in data.raw.items():
        if e == entry_id:
            for j, p in by_judge.items():
                per_judge[j][code] = p
    values = data.values.get(entry_id, {})
    return {j: score_entry(data.fw, values, judged=pts, unit=data.units.get(entry_id)).total
            for j, pts in per_judge.items()}


def overview(campaign_id: int) -> list[dict]:
    """One row per entry: self total, appraised (judges), final (with overrides), flags."""
    data = load(campaign_id)
    settings = data.campaign.settings or {}
    total_t = settings.get("disagreement_threshold_total")
    total_t = float(total_t) if total_t is not None else data.fw.scale / 10.0
    entries = db.session.execute(
        sa.select(Entry, Unit.name, Unit.code, Unit.name_en).join(Unit, Unit.id == Entry.unit_id)
        .where(Entry.campaign_id == campaign_id).order_by(Unit.code)).all()
    judges_done = dict(db.session.execute(
        sa.select(Assignment.entry_id, sa.func.count(Assignment.id)).join(Entry, Entry.id == Assignment.entry_id)
        .where(Entry.campaign_id == campaign_id, Assignment.status == "submitted").group_by(Assignment.entry_id)).all())
    judges_all = dict(db.session.execute(
        sa.select(Assignment.entry_id, sa.func.count(Assignment.id)).join(Entry, Entry.id == Assignment.entry_id)
        .where(Entry.campaign_id == campaign_id).group_by(Assignment.entry_id)).all())
    out = []
    for e, name, code, name_en in entries:
        name = localized({"vi": name, "en": name_en})  # in the reader's language where the unit has an English name
        values = data.values.get(e.id, {})
        judged = data.aggregated.get(e.id, {})
        overrides = {t: o.points for t, o in data.overrides.get(e.id, {}).items()}
        unit = data.units.get(e.id)
        self_score = score_entry(data.fw, values, judged=data.self_points.get(e.id, {}), unit=unit)
        appraised = score_entry(data.fw, values, judged=judged, unit=unit)
        final = score_entry(data.fw, values, judged=judged, overrides=overrides, unit=unit)
        totals = _judge_totals(data, e.id)
        total_flag = disagreement(list(totals.values()), total_t)
        out.append({"entry": e, "unit": name, "code": code, "self_total": self_score.total,
                    "appraised": appraised.total if judged else None, "final": final.total,
                    "flags": sorted(data.flags.get(e.id, set())), "total_flag": total_flag,
                    "flagged": bool(data.flags.get(e.id)) or total_flag, "judge_totals": totals,
                    "done": judges_done.get(e.id, 0), "assigned": judges_all.get(e.id, 0),
                    "overrides": data.overrides.get(e.id, {})})
    return out


def entry_detail(entry_id: int) -> dict:
    entry = db.session.get(Entry, entry_id)
    if entry is None:
        raise NotFound(_("Không tìm thấy hồ sơ."))
    data = load(entry.campaign_id)
    values = data.values.get(entry_id, {})
    judged = data.aggregated.get(entry_id, {})
    overrides = {t: o.points for t, o in data.overrides.get(entry_id, {}).items()}
    final = score_entry(data.fw, values, judged=judged, overrides=overrides, unit=data.units.get(entry_id))
    names = {u.id: person(u) for u in db.session.scalars(
        sa.select(User).join(Assignment, Assignment.judge_id == User.id).where(Assignment.entry_id == entry_id))}
    rows = []
    for node in data.fw.indicators():
        s = final.indicators[node.code]
        rows.append({"code": node.code, "name": localized(node.name) or node.code, "max": node.max_points,
                     "self": data.self_points.get(entry_id, {}).get(node.code),
                     "judges": {names.get(j, j): p for j, p in data.raw.get((entry_id, node.code), {}).items()},
                     "normalised": {names.get(j, j): p for j, p in data.used.get((entry_id, node.code), {}).items()},
                     "aggregate": judged.get(node.code), "final": s.points, "source": source_label(s.source),
                     "flag": node.code in data.flags.get(entry_id, set())})
    history = db.session.scalars(sa.select(Override).where(Override.entry_id == entry_id).order_by(Override.id)).all()
    return {"entry": entry, "unit": entry.unit, "campaign": data.campaign, "rows": rows, "final": final,
            "groups": [final.groups[g.code] for g in data.fw.groups], "method": data.method,
            "method_label": aggregation_label(data.method),
            "normalise": data.normalise, "overrides": history, "targets": override_targets(data.fw)}


def override_targets(fw) -> list[tuple[str, str]]:
    """(target code, what a person reads) for every mark the council may replace."""
    return [("TOTAL", _("Tổng điểm"))] + [(n.code, f"{n.code} {localized(n.name)}".strip()) for n in fw.walk()]


def set_override(entry_id: int, target: str, points, reason: str, actor) -> Override:
    """Council chair replaces a final mark (indicator, group or TOTAL) with a mandatory reason."""
    if actor is None or not getattr(actor, "is_council_chair", False):
        raise Forbidden(_("Chỉ Chủ tịch Hội đồng được điều chỉnh điểm cuối cùng."))
    entry = db.session.get(Entry, entry_id)
    if entry is None:
        raise NotFound(_("Không tìm thấy hồ sơ."))
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Cần nêu lý do điều chỉnh điểm."))
    fw = parsed(entry.campaign.framework_version_id)
    if target not in {code for code, _label in override_targets(fw)}:
        raise DomainError(_("Mục điều chỉnh không hợp lệ."))
    try:
        pts = parse_number(str(points).strip())
    except (ValueError, TypeError):
        raise DomainError(_("Điểm không hợp lệ.")) from None
    if not math.isfinite(pts):
        raise DomainError(_("Điểm không hợp lệ."))
    if target == "TOTAL":
        lo, hi = 0.0, fw.scale + fw.bonus_cap_total
    else:
        node = fw.node(target)
        bound = node.max_points if node.is_indicator else node.effective_cap
        lo, hi = (-bound, 0.0) if node.kind == "penalty" else (0.0, bound)
    if not lo <= pts <= hi:
        locale = str(get_locale() or "vi")  # "-2,5" in Vietnamese, as the tables show points
        raise DomainError(_("Điểm phải trong khoảng %(lo)s đến %(hi)s.", lo=formats.plain(lo, locale),
                            hi=formats.plain(hi, locale)))
    previous = db.session.scalars(sa.select(Override).where(Override.entry_id == entry_id, Override.target == target,
                                                            Override.active)).all()
    for o in previous:
        o.active = False
    row = Override(entry_id=entry_id, target=target, points=round_points(pts), reason=reason, by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    audit.record("council.override", "score_override", row.id, campaign_id=entry.campaign_id, unit_id=entry.unit_id,
                 before={"target": target, "points": previous[-1].points if previous else None},
                 after={"target": target, "points": row.points}, reason=reason, actor=actor)
    mark_stale(entry.campaign_id, entries=())  # overrides are read apart from the ledger
    db.session.commit()
    return row


def revoke_override(override_id: int, reason: str, actor) -> None:
    if actor is None or not getattr(actor, "is_council_chair", False):
        raise Forbidden(_("Chỉ Chủ tịch Hội đồng được điều chỉnh điểm cuối cùng."))
    row = db.session.get(Override, override_id)
    if row is None or not row.active:
        raise NotFound(_("Không tìm thấy điều chỉnh."))
    if not (reason or "").strip():
        raise DomainError(_("Cần nêu lý do điều chỉnh điểm."))
    row.active = False
    entry = db.session.get(Entry, row.entry_id)
    audit.record("council.override_revoked", "score_override", row.id, campaign_id=entry.campaign_id,
                 unit_id=entry.unit_id, before={"target": row.target, "points": row.points}, after=None,
                 reason=reason.strip(), actor=actor)
    mark_stale(entry.campaign_id, entries=())  # overrides are read apart from the ledger
    db.session.commit()


def judge_statistics(campaign_id: int) -> dict:
    """Per judge mean/sd/shift vs panel (scoring.judge_stats) and completion; agreement per indicator."""
    data = load(campaign_id)
    items = [ScoreItem(j, k, p, 0.0) for k, v in data.raw.items() for j, p in v.items()]
    stats = judge_stats(items)
    counts = db.session.execute(
        sa.select(Assignment.judge_id, sa.func.count(Assignment.id),
                  sa.func.sum(sa.case((Assignment.status == "submitted", 1), else_=0)))
        .join(Entry, Entry.id == Assignment.entry_id)
        .where(Entry.campaign_id == campaign_id).group_by(Assignment.judge_id)).all()
    users = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_([c[0] for c in counts] or [-1])))}
    judges = []
    for judge_id, assigned, submitted in sorted(counts, key=lambda c: sort_key(person(users[c[0]]))):
        st = stats.get(judge_id)
        judges.append({"judge_id": judge_id, "name": person(users[judge_id]), "username": users[judge_id].username,
                       "assigned": assigned, "submitted": submitted or 0,
                       "completion": round_points(100.0 * (submitted or 0) / assigned) if assigned else 0.0,
                       "mean": st.mean if st else None, "sd": st.sd if st else None,
                       "shift": st.shift_vs_panel if st else None, "n": st.n if st else 0})
    agreement = []
    for node in data.fw.indicators():
        ranges = [max(v.values()) - min(v.values()) for (e, code), v in data.raw.items()
                  if code == node.code and len(v) >= 2]
        if not ranges:
            agreement.append({"code": node.code, "name": localized(node.name), "entries": 0,
                              "mean_range": None, "agreement": None, "flagged": 0})
            continue
        mean_range = round_points(math.fsum(ranges) / len(ranges))
        agree = round_points(100.0 * (1 - mean_range / node.max_points)) if node.max_points else None
        flagged = sum(1 for e, codes in data.flags.items() if node.code in codes)
        agreement.append({"code": node.code, "name": localized(node.name), "entries": len(ranges),
                          "mean_range": mean_range, "agreement": agree, "flagged": flagged})
    return {"judges": judges, "agreement": agreement}


def inflation(campaign_id: int) -> dict:
    """Self-score minus appraised points per unit and indicator (positive = over-reported)."""
    data = load(campaign_id)
    codes = [n.code for n in data.fw.indicators()]
    entries = db.session.execute(sa.select(Entry.id, Unit.name, Unit.code, Unit.name_en).join(Unit, Unit.id == Entry.unit_id)
                                 .where(Entry.campaign_id == campaign_id)).all()
    rows = []
    for entry_id, name, code, name_en in entries:
        name = localized({"vi": name, "en": name_en})
        judged = data.aggregated.get(entry_id)
        if not judged:
            continue
        values = data.values.get(entry_id, {})
        own = data.self_points.get(entry_id, {})
        gaps = {c: round_points(own[c] - judged[c]) for c in codes if c in own and c in judged}
        self_total = score_entry(data.fw, values, judged=own, unit=data.units.get(entry_id)).total
        appraised_total = score_entry(data.fw, values, judged=judged, unit=data.units.get(entry_id)).total
        rows.append({"entry_id": entry_id, "unit": name, "code": code, "self_total": self_total,
                     "appraised": appraised_total, "gap": round_points(self_total - appraised_total), "gaps": gaps})
    rows.sort(key=lambda r: (-r["gap"], r["code"]))
    mean_gap = {c: round_points(math.fsum(r["gaps"][c] for r in rows if c in r["gaps"]) /
                                max(1, sum(1 for r in rows if c in r["gaps"]))) for c in codes}
    return {"codes": codes, "rows": rows, "mean_gap": mean_gap}
