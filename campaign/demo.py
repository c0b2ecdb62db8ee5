"""The demo data set behind `make run`: real districts, demo communes, four real campaigns.

District names, codes and types are real (campaign/hanoi.py). Commune-level units are
generated stand-ins, labelled "(demo)" and flagged ``is_demo``: the real list is loaded
with the GSO importer (`flask import-units`). Values, evidence and judge scores are
generated from a fixed seed, so every run gives the same leaderboard. Results are
computed and published by the same services the Celery worker runs.
"""
from __future__ import annotations

import hashlib
import math
import random
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml

from campaign.services import audit
from campaign.services.judging import conflicts
from campaign.services.setup.campaigns import default_settings
from campaign.services.setup.frameworks import install_version
from campaign.services.submissions.derived import unit_contexts
from campaign.services.submissions.entries import value_columns
from scoring.framework import LinearRule, Node, parse_framework
from scoring.rules import NA, indicator_points
from scoring.values import resolve, rule_for, with_rule

from . import demo_2026
from .extensions import db
from .hanoi import CITY_CODE, CITY_NAME, DISTRICTS
from .labels import N_
from .models import (
    UNIT_LEVELS,
    Assignment,
    Campaign,
    CampaignUnit,
    ClarificationRequest,
    Cluster,
    ClusterMember,
    Entry,
    EntryVersion,
    IndicatorNode,
    IndicatorValue,
    JudgeScore,
    PanelMember,
    Unit,
    User,
)
from .models.base import utcnow

FRAMEWORK_DIR = Path(__file__).parent / "frameworks"
SEED = 2018
PUBLISH_LABEL_2018 = N_("Tổng kết năm 2018 (demo)")
# Indicator quality = QUALITY_BASE + QUALITY_SPAN × unit strength + noise (see _quality).
QUALITY_BASE, QUALITY_SPAN, QUALITY_NOISE = 0.57, 0.34, 0.04
DEMO_PASSWORD_SUFFIX = "-demo"

# Demo clusters of districts (Hà Nội's real cluster split is not public: an assumption).
DEMO_CLUSTERS = (
    ("CUM-1", "Cụm thi đua số 1 (các quận nội thành cũ)", "Cluster 1 (inner urban districts)",
     ("001", "002", "006", "007", "009")),
    ("CUM-2", "Cụm thi đua số 2 (các quận mới)", "Cluster 2 (newer urban districts)",
     ("003", "004", "005", "008", "019", "021", "268")),
    ("CUM-3", "Cụm thi đua số 3 (thị xã và huyện phía Tây)", "Cluster 3 (town and western districts)",
     ("269", "271", "272", "273", "274", "275", "276", "277")),
    ("CUM-4", "Cụm thi đua số 4 (các huyện phía Bắc, Nam)", "Cluster 4 (northern and southern districts)",
     ("016", "017", "018", "020", "250", "278", "279", "280", "281", "282")),
)

def _settings(scale: float, **extra: Any) -> dict:
    """The platform's defaults (as a new campaign gets them), with the demo's tie-break chain."""
    settings = default_settings(scale)
    settings.update(tie_breaks=["group:I", "fewer_penalty", "earlier_submission"], forbid_reciprocal=False)
    settings.update(extra)
    return settings


def load() -> str:
    """Create everything in one transaction, then compute and publish through the services."""
    rng = random.Random(SEED)
    city, districts, communes = _units()
    clusters = _clusters(districts)
    users = _users(districts, communes)
    now = utcnow()
    campaigns = []

    mm = _campaign("mass-mobilization-2018.yaml", "nam-dan-van-2018", "published", now,
                   name=("Năm Dân vận chính quyền 2018", "Year of Mass Mobilization in Government 2018"),
                   kind="thematic", settings_extra={}, deadline=now - timedelta(days=40))
    _participate(mm, districts, clusters)
    campaigns.append((mm, list(districts.values()), "submitted"))

    ntm = _campaign("ntm-2016.yaml", "nong-thon-moi-2018", "published", now,
                    name=("Xây dựng nông thôn mới năm 2018", "Building new-style rural areas 2018"),
                    kind="regular", deadline=now - timedelta(days=30),
                    settings_extra={"rollup": {"kind": "mean"}, "judges_per_entry": 0})
    rural_communes = [u for u in communes if u.kind == "commune"]
    # Districts take part through their communes: their score is the communes' mean (roll-up).
    rural_districts = [d for d in districts.values() if any(c.parent is d for c in rural_communes)]
    _participate(ntm, rural_communes + rural_districts, clusters)
    campaigns.append((ntm, rural_communes, "submitted"))

    codes = _campaign("codes-of-conduct-2018.yaml", "quy-tac-ung-xu-2018", "open", now,
                      name=("Năm thực hiện hai Bộ Quy tắc ứng xử 2018",
                            "Year of putting the two Codes of Conduct into practice 2018"),
                      kind="thematic", deadline=now + timedelta(days=14), settings_extra={})
    _participate(codes, districts, clusters)
    campaigns.append((codes, list(districts.values()), "mixed"))

    urban = _campaign("civilized-urban.yaml", "van-minh-do-thi-2018", "appraisal", now,
                      name=("Phường đạt chuẩn văn minh đô thị 2018", "Civilized urban wards 2018"),
                      kind="regular", deadline=now - timedelta(days=5), settings_extra={"judges_per_entry": 2})
    central = {districts["001"].id, districts["002"].id}
    central_wards = [u for u in communes if u.parent_id in central]
    _participate(urban, central_wards, {})
    campaigns.append((urban, central_wards, "submitted"))
    campaigns.append(demo_2026.add_campaign(now, _campaign, _participate))  # Hà Nội's 126 units after 1/7/2025
    db.session.flush()

    judges = users["judges"]
    for campaign, units, mode in campaigns:
        fw = parse_framework(campaign.framework_version.document)
        entries = _entries(campaign, fw, units, rng, mode, users["officers"], now)
        k = campaign.settings.get("judges_per_entry", 3)
        if k and campaign.status in ("published", "appraisal"):
            _judging(campaign, fw, entries, judges, k, rng, complete=campaign.status == "published")
    _clarification(urban, users)
    audit.record("demo.loaded", "database", None, actor=users["admin"])
    db.session.commit()

    from campaign.services.results import recompute

    # The mass-mobilisation table is published last, so it is the public page's default.
    for campaign, _members, _mode in sorted(campaigns, key=lambda c: c[0].slug == "nam-dan-van-2018"):
        recompute.recompute_provisional(campaign.id)
        if campaign.status == "published":
            label = demo_2026.PUBLISH_LABEL if campaign.slug == demo_2026.SLUG else PUBLISH_LABEL_2018
            recompute.publish(campaign.id, user_id=users["admin"].id, kind="snapshot", label=label)
    return (f"demo loaded: {len(districts)} districts, {len(communes)} demo commune-level units, "
            f"{len(campaigns)} campaigns")


# --------------------------------------------------------------------------- units & users

def _units() -> tuple[Unit, dict[str, Unit], list[Unit]]:
    city = Unit(code=CITY_CODE, name=CITY_NAME, name_en="Hanoi", kind="city", level=1,
                valid_from=date(2008, 8, 1))
    db.session.add(city)
    districts: dict[str, Unit] = {}
    communes: list[Unit] = []
    for d in DISTRICTS:
        unit = Unit(code=d.code, name=d.name, name_en=d.name_en, kind=d.kind, level=2, parent=city,
                    population=d.population, area_km2=d.area_km2, valid_from=date(2008, 8, 1))
        db.session.add(unit)
        districts[d.code] = unit
        short = d.name.split(" ", 1)[1]
        seq = 0
        for kind, label, count in (("ward", "Phường", d.wards), ("commune", "Xã", d.communes),
                                   ("township", "Thị trấn", d.townships)):
            for i in range(1, count + 1):
                seq += 1
                communes.append(Unit(
                    code=f"DEMO-{d.code}-{seq:02d}", name=f"{label} {i} – {short} (demo)",
                    name_en=f"{kind.title()} {i}, {d.name_en} (demo)", kind=kind, level=UNIT_LEVELS[kind],
                    parent=unit, is_demo=True, population=random.Random(f"{d.code}{seq}").randint(4000, 30000)))
    db.session.add_all(communes)
    db.session.flush()
    return city, districts, communes


def _clusters(districts: dict[str, Unit]) -> dict[int, Cluster]:
    by_unit: dict[int, Cluster] = {}
    for code, name, name_en, members in DEMO_CLUSTERS:
        cluster = Cluster(code=code, name=name, name_en=name_en, kind="cluster")
        db.session.add(cluster)
        db.session.flush()
        for member in members:
            db.session.add(ClusterMember(cluster_id=cluster.id, unit_id=districts[member].id))
            by_unit[districts[member].id] = cluster
    return by_unit


def _user(username: str, role: str, full_name: str, unit: Unit | None = None, **kw) -> User:
    user = User(username=username, role=role, full_name=full_name, unit=unit, **kw)
    user.set_password(username + DEMO_PASSWORD_SUFFIX)
    db.session.add(user)
    return user


def _users(districts: dict[str, Unit], communes: list[Unit]) -> dict:
    ward = next(u for u in communes if u.parent is districts["001"] and u.kind == "ward")
    users = {
        "admin": _user("admin", "admin", "Nguyễn Thị Thu Hà (Ban Thi đua – demo)", is_council_chair=True),
        "viewer": _user("viewer", "viewer", "Người xem (demo)"),
        "officers": {
            districts["001"].id: _user("officer-badinh", "officer", "Trần Văn Bình (Quận Ba Đình – demo)",
                                       districts["001"]),
            ward.id: _user("officer-ward", "officer", f"Lê Thị Mai ({ward.name})", ward),
        },
        "judges": [
            _user("judge1", "judge", "Phạm Quốc Dũng (giám khảo – demo)", districts["002"]),
            _user("judge2", "judge", "Hoàng Minh Châu (giám khảo – demo)", districts["268"]),
            _user("judge3", "judge", "Vũ Thị Lan (giám khảo – demo)", districts["271"]),
            _user("judge4", "judge", "Đỗ Đức Thắng (giám khảo – demo)"),
            _user("judge5", "judge", "Bùi Thanh Hương (giám khảo – demo)"),
            _user("judge6", "judge", "Ngô Văn Sơn (giám khảo – demo)"),
        ],
    }
    db.session.flush()
    return users


# --------------------------------------------------------------------------- campaigns

def _campaign(filename: str, slug: str, status: str, now: datetime, *, name: tuple[str, str], kind: str,
              deadline: datetime, settings_extra: dict) -> Campaign:
    doc = yaml.safe_load((FRAMEWORK_DIR / filename).read_text(encoding="utf-8"))
    version = install_version(doc, is_template=True)
    campaign = Campaign(
        slug=slug, name=name[0], name_en=name[1], kind=kind, status=status,
        description="Dữ liệu minh họa (demo) dựng từ bộ tiêu chí thật; số liệu của các đơn vị là giả lập.",
        description_en="Demo data built on the real criteria set; unit figures are simulated.",
        period_start=date(2018, 1, 1), period_end=date(2018, 12, 31),
        submission_deadline=deadline, appraisal_deadline=deadline + timedelta(days=30),
        framework_version_id=version.id,
        # a framework that declares its bands gives them to its campaigns (as create-campaign does)
        settings=_settings(version.scale, **({"bands": doc["bands"]} if doc.get("bands") else {}), **settings_extra),
    )
    campaign.framework_version = version
    db.session.add(campaign)
    db.session.flush()
    return campaign


def _participate(campaign: Campaign, units, clusters: dict[int, Cluster]) -> None:
    units = units.values() if isinstance(units, dict) else units
    for unit in units:
        cluster = clusters.get(unit.id)
        db.session.add(CampaignUnit(campaign_id=campaign.id, unit_id=unit.id,
                                    cluster_id=cluster.id if cluster else None))


def _strength(unit: Unit) -> float:
    """A stable 0–1 'how well this unit does' so rankings look plausible and stay fixed.

    The mean of two hash-derived uniforms: bell-shaped around 0.5, so most units are middling
    and few are at either end, as in a real campaign.
    """
    digest = hashlib.sha256(unit.code.encode()).hexdigest()
    return (int(digest[:8], 16) + int(digest[8:16], 16)) / (2 * 0xFFFFFFFF)


def _quality(strength: float, rng: random.Random, bias: float = 0.0) -> float:
    """How well one indicator went (0–1): the unit's strength with a little per-indicator noise.

    Centred on ``QUALITY_BASE + QUALITY_SPAN × strength``, so a unit's groups stay close to each
    other (a strong unit is strong in most groups) and the campaign's band floors sort units
    mostly by their total, with the occasional weak group that a floor catches.
    """
    return min(1.0, max(0.0, QUALITY_BASE + QUALITY_SPAN * strength + rng.gauss(0.0, QUALITY_NOISE) + bias))


def _met(quality: float, rng: random.Random) -> bool:
    """An all-or-nothing indicator (yes/no, a target): met by every good unit, by fewer weak ones."""
    return quality > rng.uniform(0.45, 0.65)


def demo_value(node: Node, strength: float, rng: random.Random, best: bool = False) -> Any:
    """A plausible value for an indicator given the unit's strength (0 weak – 1 strong).

    ``best``: a ward ready for recognition, every indicator at its full marks (the random draws
    are the same, so the other campaigns' values do not move).
    """
    rule = node.rule
    quality = _quality(strength, rng)
    if best:
        quality = 1.0
    if node.na_allowed and rng.random() < 0.03:
        return NA
    if rule.kind in ("bonus",):
        return rng.choice([0, 0, 1, 1, 2]) if quality > 0.5 else 0
    if rule.kind == "penalty":
        return 1 if rng.random() < 0.12 * (1.2 - strength) else 0
    if rule.kind == "info":  # a count that a computed indicator reads (e.g. workers placed in jobs)
        return int(round(max(0.0, quality * 130 + rng.uniform(-10, 10))))
    if node.value_type == "yes_no":
        return _met(quality, rng)
    if rule.kind == "judged":
        levels = sorted(rule.levels, key=lambda lv: lv.points)
        return levels[min(len(levels) - 1, int(quality * len(levels)))].code
    if rule.kind == "count":
        per_item = rule.per_item or 1
        top = math.ceil((rule.cap or node.max_points) / per_item)
        drawn = int(round(quality * top + rng.uniform(-1, 1)))
        return top if best else drawn
    if rule.kind == "target" and rule.target is not None:
        # all or nothing: the target is met about as often as the unit does well
        met = _met(quality, rng)
        step = max(abs(rule.target) * rng.uniform(0.02, 0.15), 1.0)
        sign = 1 if rule.dir == "higher" else -1  # the side of the target that is better
        value = _clip(node, rule.target + sign * rng.uniform(0, min(step, abs(rule.target))) if met
                      else rule.target - sign * step)
        return round(value, 1) if node.value_type != "count" else int(round(max(0, value)))
    if rule.kind in ("target", "linear") and rule.target is not None:
        target = rule.target
        floor = rule.floor if isinstance(rule, LinearRule) else target * (0.5 if rule.dir == "higher" else 1.8)
        span = target - floor
        value = floor + span * quality
        value = _clip(node, value)
        return round(value, 1) if node.value_type != "count" else int(round(max(0, value)))
    if rule.kind == "banded" and rule.bands:
        lo, hi = rule.bands[0].from_, rule.bands[-1].from_
        span = (hi - lo) or max(1.0, abs(hi))
        value = _clip(node, lo + span * quality)
        return round(value, 1) if node.value_type != "count" else int(round(value))
    if rule.kind == "manual":
        return None
    return None


# The civilized-urban demo: the wards at least this strong fill every criterion at full marks (the
# band needs all 9 criteria met), and the weakest of them reports 86 % of residents agreeing, so
# condition DK1 (≥ 90 %) refuses its recognition while its score stays.
RECOGNITION_READY_STRENGTH = 0.6
# A count that is a part of another typed count (codes of conduct: staff briefed ≤ all staff, I.3 = I.3b / I.3a × 100).
SHARE_OF = {"I.3b": "I.3a"}
RECOGNITION_REFUSED = {"9.2": 86.0}


def recognition_ready(fw, units: list[Unit]) -> set[int]:
    """Units that reach a band asking for every criterion met (min_criteria_met), by their strength."""
    if not any(b.get("min_criteria_met") for b in fw.bands):
        return set()
    return {u.id for u in units if _strength(u) >= RECOGNITION_READY_STRENGTH}


def _clip(node: Node, value: float) -> float:
    if node.min is not None:
        value = max(node.min, value)
    if node.max is not None:
        value = min(node.max, value)
    if node.value_type == "percentage":
        value = min(100.0, max(0.0, value))
    return value


def _entries(campaign: Campaign, fw, units: list[Unit], rng: random.Random, mode: str,
             officers: dict[int, User], now: datetime) -> list[Entry]:
    nodes = {n.code: n.id for n in db.session.scalars(
        sa.select(IndicatorNode).where(IndicatorNode.framework_version_id == campaign.framework_version_id))}
    indicators = fw.indicators()
    entries: list[Entry] = []
    value_rows: list[dict] = []
    contexts = unit_contexts([u.id for u in units])  # unit-dependent targets, as the save path reads them
    ready = recognition_ready(fw, units)
    refused = min((u for u in units if u.id in ready), key=_strength).id if ready else None
    for idx, unit in enumerate(units):
        strength = _strength(unit)
        status, submitted = "submitted", now - timedelta(days=45 - (idx % 20))
        if mode == "mixed":
            if unit.id in officers or idx % 10 == 7:
                status, submitted = "draft", None  # the demo officer's own entry is left to fill
            elif idx % 10 == 9:
                continue  # a few units have not started: the completeness view shows them
        entry = Entry(campaign_id=campaign.id, unit_id=unit.id, framework_version_id=campaign.framework_version_id,
                      status=status, blind_code=f"{campaign.id:02d}-{idx + 1:04d}",
                      submitted_at=submitted, first_submitted_at=submitted,
                      narrative="Báo cáo tóm tắt kết quả thực hiện phong trào (demo).")
        db.session.add(entry)
        entries.append(entry)
        db.session.flush()
        filled = indicators if status != "draft" else indicators[: len(indicators) // 3]
        self_total = 0.0
        typed: dict[str, Any] = {}
        # computed indicators last, from what was typed (scoring.values, as the save path does)
        for node in [n for n in filled if n.compute is None] + [n for n in filled if n.compute is not None]:
            node = with_rule(node, rule_for(node, contexts.get(unit.id), fw)[0])  # the unit's own target
            value = (demo_value(node, strength, rng, best=unit.id in ready) if node.compute is None
                     else resolve(fw, typed).values.get(node.code))
            if node.code in SHARE_OF and isinstance(typed.get(SHARE_OF[node.code]), int):  # a part of a typed total
                value = int(round(typed[SHARE_OF[node.code]] * min(1.0, 0.55 + 0.5 * strength + rng.uniform(-0.03, 0.03))))
            if unit.id == refused and node.code in RECOGNITION_REFUSED:  # kept its score, refused by a condition
                value = RECOGNITION_REFUSED[node.code]
            if value is None:
                continue
            typed[node.code] = value
            points = indicator_points(node, value).points
            rng.choice([0, 0, 0, 0.1, 0.2])  # (a draw kept so the other campaigns' values do not move)
            # the officer types values, not points: the self-score is the rule's points, as the save path stores it
            self_points = points
            self_total += self_points
            na = value is NA
            raw = "NA" if na else ("yes" if value is True else "no" if value is False else str(value))
            num, text = value_columns(node, {"raw": raw, "na": na})
            value_rows.append({"entry_id": entry.id, "indicator_id": nodes[node.code], "points": points,
                               "self_points": self_points, "explanation": "", "updated_at": now,
                               "raw": raw, "is_na": na, "value_num": num, "value_text": text})
        entry.self_total = round(self_total, 2)
        if status == "submitted":
            db.session.add(EntryVersion(entry_id=entry.id, number=1, kind="submit", created_at=submitted,
                                        content={"values": {}, "note": "demo submission"}))
    if value_rows:
        db.session.execute(sa.insert(IndicatorValue), value_rows)
    return entries


def _judging(campaign: Campaign, fw, entries: list[Entry], judges: list[User], k: int,
             rng: random.Random, complete: bool) -> None:
    for judge in judges:
        db.session.add(PanelMember(campaign_id=campaign.id, judge_id=judge.id))
    judged = [n for n in fw.indicators() if n.rule.kind in ("judged", "manual")]
    node_ids = {n.code: n.id for n in db.session.scalars(
        sa.select(IndicatorNode).where(IndicatorNode.framework_version_id == campaign.framework_version_id))}
    load = {j.id: 0 for j in judges}
    units = {u.id: u for u in db.session.scalars(sa.select(Unit).where(Unit.id.in_([e.unit_id for e in entries])))}
    ready = recognition_ready(fw, list(units.values()))
    # the platform's own conflict rule (hierarchy and the 2025 reform's lineage): judge1 works for the closed
    # Quận Hoàn Kiếm, so never scores a 2026 ward formed from its wards
    conflicted = set(conflicts.campaign_conflicts(campaign.id, [j.id for j in judges]).pairs)
    score_rows = []
    for n_entry, entry in enumerate(entries):
        unit = units[entry.unit_id]
        eligible = sorted((j for j in judges if (j.id, entry.id) not in conflicted), key=lambda j: (load[j.id], j.id))
        chosen = eligible[:k]
        strength = _strength(unit)
        for j_idx, judge in enumerate(chosen):
            load[judge.id] += 1
            # judge1 leaves a few entries of an open appraisal for the demo to finish
            done = complete or not (judge.username == "judge1" and n_entry % 3 == 0)
            assignment = Assignment(entry_id=entry.id, judge_id=judge.id,
                                    status="submitted" if done else "assigned",
                                    submitted_at=utcnow() if done else None)
            db.session.add(assignment)
            db.session.flush()
            if not done:
                continue
            harshness = (-0.08, 0.0, 0.06, -0.03, 0.03, 0.0)[judges.index(judge) % 6]
            for node in judged:
                quality = _quality(strength, rng, harshness)
                if unit.id in ready:  # a ward ready for recognition earns every judged criterion's full marks
                    quality = 1.0
                if node.rule.kind == "judged":
                    levels = sorted(node.rule.levels, key=lambda lv: lv.points)
                    points = levels[min(len(levels) - 1, int(quality * len(levels)))].points
                else:
                    points = round(node.max_points * quality, 1)
                score_rows.append({"assignment_id": assignment.id, "indicator_id": node_ids[node.code],
                                   "points": points, "comment": "Đã đối chiếu minh chứng (demo).",
                                   "comment_public": j_idx == 0, "updated_at": utcnow()})
        if complete:
            entry.status = "appraised"
    if score_rows:
        db.session.execute(sa.insert(JudgeScore), score_rows)


def _clarification(campaign: Campaign, users: dict) -> None:
    """The demo ward officer finds a clarification request waiting in their workspace."""
    ward_id = next(uid for uid, u in users["officers"].items() if u.username == "officer-ward")
    entry = db.session.scalar(sa.select(Entry).where(Entry.campaign_id == campaign.id, Entry.unit_id == ward_id))
    if entry is None:
        return
    fw = parse_framework(campaign.framework_version.document)
    codes = [n.code for n in fw.indicators()[:2]]
    entry.status = "clarification_requested"
    db.session.add(ClarificationRequest(
        entry_id=entry.id, indicator_codes=codes, requested_by_id=users["judges"][1].id,
        message="Đề nghị bổ sung văn bản chứng minh số liệu của hai chỉ tiêu đầu (demo)."))
