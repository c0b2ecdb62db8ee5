"""Campaigns (phong trào thi đua): create, edit, clone, archive, participants, settings,
deadline extensions and the campaign's framework.

Rules that keep scores trustworthy:
* Framework versions are immutable. Editing a campaign's framework installs a new version
  and points the campaign at it, but only while no entry exists; once a unit has started
  an entry the edit is refused (the entry records the version it uses) — clone the
  campaign to use a changed framework.
* A participant that already has an entry cannot be removed.
* Changes that affect scores (settings, participants, clusters, framework) call
  ``freshness.mark_stale`` in the same transaction.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from campaign.extensions import db
from campaign.labels import N_
from campaign.models import (
    Campaign,
    CampaignUnit,
    Cluster,
    ClusterMember,
    DeadlineExtension,
    Entry,
    ScoreRun,
    StatusChange,
    Unit,
    User,
)
from campaign.models.base import utcnow
from campaign.services import audit
from campaign.services.errors import Conflict, DomainError, NotFound
from campaign.services.results.freshness import mark_stale
from campaign.services.results.ledger import LEDGER_SETTINGS
from campaign.services.setup import band_settings, framework_io
from campaign.services.setup.framework_cache import parsed
from campaign.services.setup.participant_rules import resolve_participants, unit_codes_error
from scoring.aggregate import METHODS as AGGREGATIONS
from scoring.framework import Framework as EngineFramework

KINDS = ("regular", "thematic")
ROLLUP_KINDS = ("none", "mean", "weighted_mean", "share_meeting", "combined")
TIE_BREAK_FIXED = ("fewer_penalty", "earlier_submission")
DEFAULT_BANDS = [
    {"code": "xuat_sac", "min_total": 90, "floor_pct": 85, "label": {"vi": "Hoàn thành xuất sắc nhiệm vụ", "en": "Excellent"}},
    {"code": "tot", "min_total": 80, "floor_pct": 80, "label": {"vi": "Hoàn thành tốt nhiệm vụ", "en": "Good"}},
    {"code": "hoan_thanh", "min_total": 70, "floor_pct": 70, "label": {"vi": "Hoàn thành nhiệm vụ", "en": "Completed"}},
    {"code": "khong_hoan_thanh", "min_total": 0, "floor_pct": None,
     "label": {"vi": "Không hoàn thành nhiệm vụ", "en": "Not completed"}},
]
SCORE_SETTINGS = ("judges_per_entry", "aggregation", "trim_min_judges", "normalise", "blind", "coi_same_cluster",
                  "forbid_reciprocal", "show_intervals",
                  "tie_breaks", "bands", "award_quota_pct", "top_per_cluster", "rollup", "disagreement_threshold")


def default_settings(scale: float = 100) -> dict:
    f = scale / 100.0
    return {
        "judges_per_entry": 3, "aggregation": "trimmed_mean", "trim_min_judges": 3, "normalise": False,
        "disagreement_threshold": round(scale * 0.1, 2), "blind": False, "coi_same_cluster": False,
        "forbid_reciprocal": False, "tie_breaks": ["fewer_penalty", "earlier_submission"],
        "bands": [{**b, "min_total": b["min_total"] * f} for b in DEFAULT_BANDS],
        "award_quota_pct": 20, "top_per_cluster": 1, "show_intervals": True,
        "participants": {"levels": [], "kinds": [], "cluster_ids": [], "unit_codes": []},
        "ranking_cluster_ids": [],
    }


def slugify(text: str) -> str:
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:70] or "phong-trao"


def _unique_slug(base: str, exclude_id: int | None = None) -> str:
    slug, n = base, 1
    while db.session.scalar(sa.select(Campaign.id).where(Campaign.slug == slug, Campaign.id != (exclude_id or -1))):
        n += 1
        slug = f"{base}-{n}"
    return slug


# --------------------------------------------------------------------------- reading

def get_campaign(campaign_id: int, *, lock: bool = False, refresh: bool = False) -> Campaign:
    """The campaign or NotFound — the one place for it. ``lock`` takes the row lock (SELECT … FOR UPDATE);
    ``refresh`` re-reads the row over what the session already holds (a worker may have changed it)."""
    c = db.session.get(Campaign, campaign_id, with_for_update=lock or None, populate_existing=refresh or lock)
    if c is None:
        raise NotFound(_("Không tìm thấy phong trào."))
    return c


def get_campaign_by_slug(slug: str) -> Campaign:
    """The campaign a command line names by its slug; NotFound with the same message as by id."""
    c = db.session.scalar(sa.select(Campaign).where(Campaign.slug == slug))
    if c is None:
        raise NotFound(_("Không tìm thấy phong trào."))
    return c


def list_campaigns(include_archived: bool = False) -> list[dict]:
    counts = (sa.select(CampaignUnit.campaign_id, sa.func.count().label("n"))
              .group_by(CampaignUnit.campaign_id).subquery())
    entries = (sa.select(Entry.campaign_id, sa.func.count().label("n")).group_by(Entry.campaign_id).subquery())
    q = (sa.select(Campaign, sa.func.coalesce(counts.c.n, 0), sa.func.coalesce(entries.c.n, 0))
         .join(counts, counts.c.campaign_id == Campaign.id, isouter=True)
         .join(entries, entries.c.campaign_id == Campaign.id, isouter=True)
         .order_by(Campaign.created_at.desc(), Campaign.id.desc()))
    if not include_archived:
        q = q.where(Campaign.archived_at.is_(None))
    return [{"campaign": c, "participants": p, "entries": e} for c, p, e in db.session.execute(q).all()]


def entry_count(campaign_id: int) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Entry).where(Entry.campaign_id == campaign_id))


def participants(campaign_id: int) -> list[tuple[Unit, Cluster | None]]:
    rows = db.session.execute(
        sa.select(Unit, Cluster).join(CampaignUnit, CampaignUnit.unit_id == Unit.id)
        .join(Cluster, Cluster.id == CampaignUnit.cluster_id, isouter=True)
        .where(CampaignUnit.campaign_id == campaign_id).order_by(Unit.level, Unit.code)).all()
    return [(u, c) for u, c in rows]


def participant_rule(c: Campaign) -> tuple[dict, list[int]]:
    """The participants rule and ranking clusters the edit form starts from.

    A campaign whose units were set without a rule (demo data, imports, earlier versions: the
    stored rule chooses nothing) gets its current units as a list of codes, and, without stored
    ranking clusters, its units' current clusters: saving the form untouched keeps them (it used
    to start empty, and saving tried to remove every unit and dropped the cluster rankings).
    """
    s = c.settings or {}
    rule = dict(s.get("participants") or {})
    ranking = [int(x) for x in s.get("ranking_cluster_ids") or []]
    if any(rule.get(k) for k in _RULE_KEYS) and ranking:
        return rule, ranking
    rows = _current_units(c.id)
    if not any(rule.get(k) for k in _RULE_KEYS):
        rule = {"levels": [], "kinds": [], "cluster_ids": [], "unit_codes": [code for code, _cid in rows]}
    return rule, ranking or sorted({cid for _code, cid in rows if cid})


_RULE_KEYS = ("levels", "kinds", "cluster_ids", "unit_codes")


def _current_units(campaign_id: int) -> list[tuple[str, int | None]]:
    return [(code, cid) for code, cid in db.session.execute(
        sa.select(Unit.code, CampaignUnit.cluster_id).join(CampaignUnit, CampaignUnit.unit_id == Unit.id)
        .where(CampaignUnit.campaign_id == campaign_id).order_by(Unit.level, Unit.code)).all()]


def participant_summary(campaign_id: int) -> dict:
    rows = db.session.execute(
        sa.select(Unit.kind, sa.func.count()).join(CampaignUnit, CampaignUnit.unit_id == Unit.id)
        .where(CampaignUnit.campaign_id == campaign_id).group_by(Unit.kind)).all()
    return {k: n for k, n in rows}


def status_history(campaign_id: int) -> list[tuple[StatusChange, str | None]]:
    """Status changes, newest first, with the username of who made each."""
    return [(s, who) for s, who in db.session.execute(
        sa.select(StatusChange, User.username).join(User, User.id == StatusChange.by_id, isouter=True)
        .where(StatusChange.campaign_id == campaign_id)
        .order_by(StatusChange.at.desc(), StatusChange.id.desc())).all()]


def extensions(campaign_id: int) -> list[tuple[DeadlineExtension, Unit]]:
    return [(e, u) for e, u in db.session.execute(
        sa.select(DeadlineExtension, Unit).join(Unit, Unit.id == DeadlineExtension.unit_id)
        .where(DeadlineExtension.campaign_id == campaign_id).order_by(Unit.code)).all()]


# --------------------------------------------------------------------------- validation

def validate_settings(settings: dict, scale: float, group_codes: set[str] | None = None,
                      doc: dict | None = None) -> dict[str, str]:
    """Field -> message for every problem of the scoring settings (empty = valid); ``doc``: the framework."""
    errors: dict[str, str] = {}
    jpe = settings.get("judges_per_entry")
    if not isinstance(jpe, int) or not 1 <= jpe <= 15:
        errors["judges_per_entry"] = _("Số giám khảo cho mỗi bài phải từ 1 đến 15.")
    if settings.get("aggregation") not in AGGREGATIONS:
        errors["aggregation"] = _("Cách tổng hợp điểm giám khảo không hợp lệ.")
    band_error = band_settings.errors(settings.get("bands") or [], scale, group_codes, doc)  # floors, criteria met
    if band_error:
        errors["bands"] = band_error
    q = settings.get("award_quota_pct")
    if q is not None and (not isinstance(q, (int, float)) or not 0 < q <= 100):
        errors["award_quota_pct"] = _("Tỷ lệ khen thưởng tối đa phải trong khoảng 0–100%.")
    for name in settings.get("tie_breaks") or []:
        if name in TIE_BREAK_FIXED:
            continue
        if name.startswith("group:") and (group_codes is None or name[6:] in group_codes):
            continue
        errors["tie_breaks"] = _("Tiêu chí phân hạng “%(name)s” không hợp lệ.", name=name)
        break
    rollup = settings.get("rollup")
    if rollup is not None:
        if rollup.get("kind") not in ROLLUP_KINDS[1:]:
            errors["rollup"] = _("Cách tính điểm cấp huyện từ cấp xã không hợp lệ.")
        elif rollup["kind"] == "combined":
            ow, cw = rollup.get("own_weight"), rollup.get("communes_weight")
            if not all(isinstance(x, (int, float)) and 0 <= x <= 1 for x in (ow, cw)) or abs(ow + cw - 1) > 1e-9:
                errors["rollup"] = _("Trọng số của huyện và của các xã phải từ 0 đến 1 và cộng lại bằng 1.")
    return errors


def _check_basics(data: dict, partial: bool = False) -> dict[str, str]:
    """Field errors of the basic fields; ``partial`` checks only the fields present."""
    errors = {}
    if (not partial or "name" in data) and not (data.get("name") or "").strip():
        errors["name"] = _("Tên phong trào là bắt buộc.")
    if (not partial or "kind" in data) and data.get("kind", "regular") not in KINDS:
        errors["kind"] = _("Loại phong trào không hợp lệ.")
    ps, pe = data.get("period_start"), data.get("period_end")
    if ps and pe and pe < ps:
        errors["period_end"] = _("Ngày kết thúc phải sau ngày bắt đầu.")
    sd, ad = data.get("submission_deadline"), data.get("appraisal_deadline")
    if sd and ad and ad < sd:
        errors["appraisal_deadline"] = _("Hạn thẩm định phải sau hạn nộp.")
    return errors


def new_campaign_errors(data: dict, *, require_framework: bool = True) -> dict[str, str]:
    """The basic fields' errors of a new campaign, and a missing framework: what the form shows
    together with its own field checks, so a user does not fix one error only to meet the next."""
    errors = _check_basics(data)
    if require_framework and not data.get("template_code") and not data.get("framework_version_id"):
        errors["template_code"] = _("Hãy chọn một bộ tiêu chí mẫu hoặc một bộ tiêu chí đã có.")
    return errors


class ValidationFailed(DomainError):
    """Field errors for a form: ``errors`` maps field name -> message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(_("Vui lòng sửa các lỗi được đánh dấu."))
        self.errors = errors


# --------------------------------------------------------------------------- participants

def _set_participants(campaign: Campaign, rule: dict, ranking_cluster_ids: list[int]) -> tuple[int, int]:
    """Replace the participant set; returns (added, removed). Refuses to drop a unit with an entry."""
    wanted = {u.id: u for u in resolve_participants(rule, campaign.period_end)}
    cluster_of: dict[int, int] = {}
    if ranking_cluster_ids:
        rows = db.session.execute(sa.select(ClusterMember.unit_id, ClusterMember.cluster_id)
                                  .where(ClusterMember.cluster_id.in_(ranking_cluster_ids))).all()
        order = {cid: i for i, cid in enumerate(ranking_cluster_ids)}
        for uid, cid in sorted(rows, key=lambda r: order[r[1]]):
            cluster_of.setdefault(uid, cid)
    current = {cu.unit_id: cu for cu in db.session.scalars(
        sa.select(CampaignUnit).where(CampaignUnit.campaign_id == campaign.id))}
    removed_ids = [uid for uid in current if uid not in wanted]
    if removed_ids:
        with_entries = db.session.scalars(sa.select(Unit.name).join(Entry, Entry.unit_id == Unit.id).where(
            Entry.campaign_id == campaign.id, Entry.unit_id.in_(removed_ids)).limit(5)).all()
        if with_entries:
            raise Conflict(_("Không thể bỏ các đơn vị đã có bài dự thi khỏi phong trào: %(names)s.",
                             names=", ".join(with_entries)))
        db.session.execute(sa.delete(CampaignUnit).where(CampaignUnit.campaign_id == campaign.id,
                                                         CampaignUnit.unit_id.in_(removed_ids)))
    added = [uid for uid in wanted if uid not in current]
    if added:
        db.session.execute(sa.insert(CampaignUnit), [
            {"campaign_id": campaign.id, "unit_id": uid, "cluster_id": cluster_of.get(uid)} for uid in added])
    for uid, cu in current.items():
        if uid in wanted and cu.cluster_id != cluster_of.get(uid):
            cu.cluster_id = cluster_of.get(uid)
    db.session.flush()
    db.session.expire(campaign, ["participants"])
    return len(added), len(removed_ids)


# --------------------------------------------------------------------------- create / edit

BASIC_FIELDS = ("name", "name_en", "kind", "description", "description_en", "period_start", "period_end",
                "submission_deadline", "appraisal_deadline", "results_public")


def _snapshot(c: Campaign) -> dict:
    def v(x):
        return x.isoformat() if hasattr(x, "isoformat") else x

    return {**{f: v(getattr(c, f)) for f in BASIC_FIELDS}, "status": c.status, "settings": c.settings,
            "framework_version_id": c.framework_version_id}


def _framework_version_for(data: dict, user_id):
    """Resolve the framework choice of a create form: template code or stored version id."""
    if data.get("template_code"):
        return framework_io.install_template(data["template_code"], user_id=user_id)
    if data.get("framework_version_id"):
        return framework_io.get_version(int(data["framework_version_id"]))
    return None


def _same_bands(a, b) -> bool:
    def key(bands):
        return [(x.get("code"), float(x.get("min_total") or 0), x.get("floor_pct")) for x in bands or []]

    return key(a) == key(b)


def framework_bands_used(c: Campaign, typed: list[dict]) -> list[dict]:
    """The framework's own bands when a new campaign took them instead of the example bands the form
    showed (``create_campaign``); empty otherwise. The page says so: the table was not what was saved."""
    own = band_settings.framework_bands(c.framework_version.document if c.framework_version else None)
    if own and _same_bands((c.settings or {}).get("bands"), own) and not _same_bands(typed, own):
        return own
    return []


def create_campaign(data: dict, user_id: int | None = None, *, require_framework: bool = False) -> Campaign:
    """Create a draft campaign. ``data``: basic fields, ``template_code`` or ``framework_version_id``,
    ``settings`` (merged over the defaults), ``participants`` rule, ``ranking_cluster_ids``.
    Every field error is reported at once (``ValidationFailed``), the missing framework among them
    when ``require_framework`` (the form)."""
    errors = new_campaign_errors(data, require_framework=require_framework)
    version = _framework_version_for(data, user_id)
    scale = version.scale if version else 100
    settings = default_settings(scale)
    settings.update(data.get("settings") or {})
    own = band_settings.framework_bands(version.document if version else None)
    if own and (not (data.get("settings") or {}).get("bands") or _same_bands(settings["bands"], DEFAULT_BANDS)
                or _same_bands(settings["bands"], default_settings(scale)["bands"])):
        settings["bands"] = own  # the framework declares its bands: the defaults give way (issue 16)
    elif scale != 100 and _same_bands(settings.get("bands"), default_settings(100)["bands"]):
        # the form showed the 100-point example: put it on the framework's scale
        settings["bands"] = default_settings(scale)["bands"]
    group_codes = {g["code"] for g in version.document["groups"]} if version else None
    errors.update(validate_settings(settings, scale, group_codes, version.document if version else None))
    rule = data.get("participants") or settings.get("participants") or {}
    codes_error = unit_codes_error(rule.get("unit_codes") or [], data.get("period_end"))
    if codes_error:
        errors["unit_codes"] = codes_error
    if errors:
        db.session.rollback()
        raise ValidationFailed(errors)
    settings["participants"] = rule
    settings["ranking_cluster_ids"] = [int(x) for x in data.get("ranking_cluster_ids") or []]
    c = Campaign(slug=_unique_slug(slugify(data.get("slug") or data["name"])), status="draft",
                 framework_version_id=version.id if version else None, settings=settings,
                 created_by_id=user_id, cloned_from_id=data.get("cloned_from_id"))
    for f in BASIC_FIELDS:
        if f in data:
            setattr(c, f, data[f] if f not in ("description", "description_en") else (data[f] or ""))
    c.name = c.name.strip()
    db.session.add(c)
    db.session.flush()
    _set_participants(c, rule, settings["ranking_cluster_ids"])
    audit.record("campaign.create", "campaign", c.id, after=_snapshot(c), campaign_id=c.id, actor=user_id)
    db.session.commit()
    return c


def update_campaign(campaign_id: int, data: dict, user_id: int | None = None) -> Campaign:
    """Edit fields, settings and participants; score-affecting changes mark results stale."""
    c = get_campaign(campaign_id)
    if c.status == "closed":
        raise Conflict(_("Phong trào đã kết thúc: không thể sửa. Hãy nhân bản để tổ chức đợt mới."))
    errors = _check_basics(data, partial=True)
    scale = c.framework_version.scale if c.framework_version else 100
    settings = dict(c.settings or {})
    settings.update(data.get("settings") or {})
    group_codes = {g["code"] for g in c.framework_version.document["groups"]} if c.framework_version else None
    errors.update(validate_settings(settings, scale, group_codes,
                                    c.framework_version.document if c.framework_version else None))
    rule = data.get("participants")
    if rule is not None:
        codes_error = unit_codes_error(rule.get("unit_codes") or [], data.get("period_end", c.period_end))
        if codes_error:
            errors["unit_codes"] = codes_error
        elif not any(rule.get(k) for k in _RULE_KEYS) and c.participants:
            # beside the codes box, the one a user empties (a full-width field, not the narrow levels column)
            errors["unit_codes"] = _("Phong trào cần ít nhất một đơn vị tham gia: hãy chọn theo cấp, loại đơn vị, "
                                     "cụm hoặc nhập mã đơn vị. Chưa lưu thay đổi nào.")
    if errors:
        db.session.rollback()
        raise ValidationFailed(errors)
    before = _snapshot(c)
    for f in BASIC_FIELDS:
        if f in data:
            setattr(c, f, data[f] if f not in ("description", "description_en") else (data[f] or ""))
    score_changed = any((before["settings"] or {}).get(k) != settings.get(k) for k in SCORE_SETTINGS)
    if rule is not None:
        settings["participants"] = rule
        settings["ranking_cluster_ids"] = [int(x) for x in data.get("ranking_cluster_ids") or []]
        old_members = set(db.session.scalars(sa.select(CampaignUnit.unit_id).where(CampaignUnit.campaign_id == c.id)))
        old_clusters = dict(db.session.execute(sa.select(CampaignUnit.unit_id, CampaignUnit.cluster_id)
                                                .where(CampaignUnit.campaign_id == c.id)).all())
        _set_participants(c, rule, settings["ranking_cluster_ids"])
        new_clusters = dict(db.session.execute(sa.select(CampaignUnit.unit_id, CampaignUnit.cluster_id)
                                                .where(CampaignUnit.campaign_id == c.id)).all())
        score_changed = score_changed or set(new_clusters) != old_members or new_clusters != old_clusters
    c.settings = settings
    db.session.flush()
    audit.record("campaign.update", "campaign", c.id, before=before, after=_snapshot(c), campaign_id=c.id,
                 actor=user_id)
    if score_changed:
        # Only the judges' aggregation changes the ledger's per-entry points; ranking
        # settings and participants re-rank the same subtotals.
        ledger_changed = any((before["settings"] or {}).get(k) != settings.get(k) for k in LEDGER_SETTINGS)
        mark_stale(c.id, entries=None if ledger_changed else ())
    db.session.commit()
    return c


def clone_campaign(source_id: int, user_id: int | None = None, name: str | None = None) -> Campaign:
    """A new draft with the same framework version, settings, participants and clusters; deadlines cleared."""
    src = get_campaign(source_id)
    data = {f: getattr(src, f) for f in BASIC_FIELDS}
    data.update(name=name or _("%(name)s (bản sao)", name=src.name),
                name_en=(src.name_en + " (copy)") if src.name_en else None,
                submission_deadline=None, appraisal_deadline=None,
                framework_version_id=src.framework_version_id, cloned_from_id=src.id,
                settings={k: v for k, v in (src.settings or {}).items()},
                participants=(src.settings or {}).get("participants") or {},
                ranking_cluster_ids=(src.settings or {}).get("ranking_cluster_ids") or [])
    c = create_campaign(data, user_id)
    # Units picked one by one that are no longer active were dropped by resolve_participants;
    # the rule keeps them so the admin sees what changed.
    audit.record("campaign.clone", "campaign", c.id, after={"from": src.id}, campaign_id=c.id, actor=user_id)
    db.session.commit()
    return c


@dataclass(frozen=True)
class ArchivePreview:
    """What archiving will do, shown before it is done (the confirmation step)."""

    campaign_id: int
    campaign_name: str
    status: str
    publications: int  # published snapshots and mid-term results, which stay public


def _unarchivable(c: Campaign) -> str | None:
    if c.status not in ("draft", "closed"):
        return _("Chỉ lưu trữ được phong trào ở trạng thái nháp hoặc đã kết thúc (hiện tại: %(status)s).",
                 status=status_label(c.status))
    return None


def archive_problem(c: Campaign) -> str | None:
    """Why the campaign's page cannot offer archiving now (None: it can, or it offers unarchiving)."""
    return None if c.archived_at is not None else _unarchivable(c)


def _check_archivable(c: Campaign) -> None:
    if problem := _unarchivable(c):
        raise Conflict(problem)


def archive_preview(campaign_id: int) -> ArchivePreview:
    """The confirmation's facts; refuses (as archiving would) a campaign that is neither draft nor closed."""
    c = get_campaign(campaign_id)
    _check_archivable(c)
    publications = db.session.scalar(sa.select(sa.func.count()).select_from(ScoreRun).where(
        ScoreRun.campaign_id == c.id, ScoreRun.published_at.is_not(None))) or 0
    return ArchivePreview(c.id, c.name, c.status, publications)


def archive_campaign(campaign_id: int, archived: bool = True, user_id: int | None = None) -> Campaign:
    """Archive (hide from the working lists, freeze the lifecycle) or restore a campaign."""
    c = get_campaign(campaign_id)
    if archived:
        _check_archivable(c)
    c.archived_at = utcnow() if archived else None
    audit.record("campaign.archive" if archived else "campaign.unarchive", "campaign", c.id, campaign_id=c.id,
                 actor=user_id)
    db.session.commit()
    return c


STATUS_LABELS = {"draft": N_("Nháp"), "open": N_("Đang nhận bài"), "appraisal": N_("Đang thẩm định"),
                 "published": N_("Đã công bố kết quả"), "closed": N_("Đã kết thúc")}


def status_label(status: str) -> str:
    return _(STATUS_LABELS.get(status, status))


# --------------------------------------------------------------------------- deadlines

def extend_deadline(campaign_id: int, unit_id: int, new_deadline: datetime, reason: str,
                    user_id: int | None = None) -> DeadlineExtension:
    c = get_campaign(campaign_id)
    if not (reason or "").strip():
        raise DomainError(_("Cần ghi rõ lý do gia hạn."))
    if c.status not in ("draft", "open", "appraisal"):
        raise Conflict(_("Không gia hạn được: phong trào đã công bố kết quả hoặc đã kết thúc."))
    if not db.session.get(CampaignUnit, (campaign_id, unit_id)):
        raise DomainError(_("Đơn vị này không tham gia phong trào."))
    if c.submission_deadline and new_deadline <= c.submission_deadline:
        raise DomainError(_("Hạn mới phải sau hạn nộp chung của phong trào."))
    ext = db.session.scalar(sa.select(DeadlineExtension).where(DeadlineExtension.campaign_id == campaign_id,
                                                                DeadlineExtension.unit_id == unit_id))
    before = {"new_deadline": ext.new_deadline.isoformat(), "reason": ext.reason} if ext else None
    if ext is None:
        ext = DeadlineExtension(campaign_id=campaign_id, unit_id=unit_id, new_deadline=new_deadline, reason=reason)
        db.session.add(ext)
    ext.new_deadline, ext.reason, ext.granted_by_id, ext.granted_at = new_deadline, reason.strip(), user_id, utcnow()
    db.session.flush()
    audit.record("campaign.extend_deadline", "deadline_extension", ext.id, before=before,
                 after={"new_deadline": new_deadline.isoformat(), "unit_id": unit_id}, reason=reason,
                 campaign_id=campaign_id, unit_id=unit_id, actor=user_id)
    db.session.commit()
    return ext


def remove_extension(campaign_id: int, unit_id: int, user_id: int | None = None) -> None:
    ext = db.session.scalar(sa.select(DeadlineExtension).where(DeadlineExtension.campaign_id == campaign_id,
                                                                DeadlineExtension.unit_id == unit_id))
    if ext is None:
        return
    audit.record("campaign.remove_extension", "deadline_extension", ext.id,
                 before={"new_deadline": ext.new_deadline.isoformat(), "reason": ext.reason},
                 campaign_id=campaign_id, unit_id=unit_id, actor=user_id)
    db.session.delete(ext)
    db.session.commit()


# --------------------------------------------------------------------------- framework

@dataclass
class FrameworkEditor:
    campaign: Campaign
    text: str  # the campaign's framework as YAML ("" when it has none)
    fw: EngineFramework | None
    entries: int


def framework_editor(campaign_id: int) -> FrameworkEditor:
    """The campaign's framework page: the document as YAML, parsed (cached), and how many entries use it."""
    c = get_campaign(campaign_id)
    version = c.framework_version
    return FrameworkEditor(c, framework_io.dumps(version.document) if version else "",
                           parsed(version.id) if version else None, entry_count(c.id))


def replace_framework_text(campaign_id: int, text: str, user_id: int | None = None):
    """``replace_framework`` from the editor's YAML; FrameworkProblems lists what to fix."""
    return replace_framework(campaign_id, framework_io.parse_edited(text), user_id=user_id)


def replace_framework(campaign_id: int, doc: dict, user_id: int | None = None):
    """Give the campaign an edited framework as a new immutable version.

    Refused once any entry exists: its values belong to the version it was started on.
    """
    c = get_campaign(campaign_id)
    n = entry_count(campaign_id)
    if n:
        raise Conflict(_(
            "Không thể sửa bộ tiêu chí: đã có %(n)s bài dự thi được lập theo phiên bản hiện tại "
            "(v%(v)s), sửa lúc này sẽ làm sai lệch số liệu đã nhập. Hãy nhân bản phong trào để dùng "
            "bộ tiêu chí mới, hoặc sửa trong thư viện bộ tiêu chí (tạo phiên bản mới cho đợt sau).",
            n=n, v=c.framework_version.version if c.framework_version else "?"))
    if c.status not in ("draft", "open"):
        raise Conflict(_("Chỉ sửa được bộ tiêu chí khi phong trào ở trạng thái nháp hoặc đang nhận bài."))
    version, _created = framework_io.store(doc, user_id=user_id)
    old = c.framework_version_id
    if version.id == old:
        db.session.commit()
        return version
    c.framework_version_id = version.id
    settings = dict(c.settings or {})
    groups = {g["code"] for g in version.document["groups"]}
    settings["tie_breaks"] = [t for t in settings.get("tie_breaks") or []
                              if not t.startswith("group:") or t[6:] in groups]
    c.settings = settings
    audit.record("campaign.framework", "campaign", c.id, before={"framework_version_id": old},
                 after={"framework_version_id": version.id, "version": version.version}, campaign_id=c.id,
                 actor=user_id)
    mark_stale(c.id)
    db.session.commit()
    return version
