"""Routes of the 'judging' feature (blueprint `judging`, under /judging).

Judges: /judging/ (my assignments), /judging/entries/<id> (score), conflicts, evidence.
Admin: /judging/admin/… panel, assignment (dry run, auto, manual), council, statistics,
inflation. Object-level checks live in the services.
"""
from __future__ import annotations

import os
from urllib.parse import quote

import sqlalchemy as sa
from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request, send_file,
                   url_for)
from flask_babel import gettext as _
from flask_login import current_user

from ..access import allow
from ..extensions import db
from ..models import Campaign
from campaign.services.judging import assignment as assignment_svc
from campaign.services.judging import conflicts as conflict_svc
from campaign.services.judging import council as council_svc
from campaign.services.judging import workspace as svc
from campaign.services.errors import DomainError

bp = Blueprint("judging", __name__, url_prefix="/judging")


def _int(name: str) -> int:
    try:
        return int(request.form.get(name, ""))
    except ValueError:
        abort(400)


# --------------------------------------------------------------------------- judge

@bp.route("/")
@allow("judge")
def dashboard():
    rows = svc.my_assignments(current_user.id)
    done = sum(1 for r in rows if r["assignment"].status == "submitted")
    return render_template("judging/dashboard.html", rows=rows, done=done, remaining=len(rows) - done)


@bp.route("/entries/<int:entry_id>")
@allow("judge")
def entry(entry_id: int):
    view = svc.entry_view(current_user.id, entry_id)
    return render_template("judging/entry.html", v=view, form=None, errors={})


@bp.route("/entries/<int:entry_id>/score", methods=["POST"])
@allow("judge")
def score(entry_id: int):
    submit = request.form.get("action") == "submit"
    result = svc.save_scores(current_user.id, entry_id, request.form.to_dict(), submit=submit)
    if not result.ok:
        view = svc.entry_view(current_user.id, entry_id)
        flash(_("Chưa lưu: hãy sửa các lỗi được đánh dấu."), "danger")
        return render_template("judging/entry.html", v=view, form=request.form, errors=result.errors), 400
    if result.notice:
        flash(result.notice, "warning")
    else:
        flash(_("Đã nộp điểm.") if result.submitted else _("Đã lưu nháp."), "success")
    return redirect(url_for(".dashboard") if result.submitted else url_for(".entry", entry_id=entry_id))


@bp.route("/entries/<int:entry_id>/clarify", methods=["POST"])
@allow("judge")
def clarify(entry_id: int):
    svc.request_clarification(current_user.id, entry_id, request.form.getlist("codes"),
                              request.form.get("message", ""))
    flash(_("Đã gửi yêu cầu giải trình tới đơn vị."), "success")
    return redirect(url_for(".entry", entry_id=entry_id))


@bp.route("/evidence/<int:file_id>")
@allow("judge")
def evidence(file_id: int):
    f, name = svc.evidence_for_judge(current_user.id, file_id)
    path = os.path.join(current_app.config["UPLOAD_FOLDER"], os.path.basename(f.storage_name))
    if not os.path.isfile(path):
        abort(404)
    inline = f.mime == "application/pdf" or f.mime.startswith("image/")
    resp = send_file(path, mimetype=f.mime, download_name=name, as_attachment=not inline, max_age=0)
    if inline:
        resp.headers["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(name)}"
    resp.headers["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src 'self'; object-src 'self'"
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


@bp.route("/conflicts", methods=["GET", "POST"])
@allow("judge")
def declare_conflicts():
    form = request.form if request.method == "POST" else None
    error = None
    if form is not None:
        try:
            svc.declare_conflict(current_user.id, _int("unit_id"), form.get("reason", ""))
            flash(_("Đã ghi nhận khai báo xung đột lợi ích."), "success")
            return redirect(url_for(".declare_conflicts"))
        except DomainError as exc:
            db.session.rollback()
            error = exc.message
    return render_template("judging/conflicts.html", declarations=svc.my_declarations(current_user.id),
                           units=svc.declarable_units(), form=form, error=error), (400 if error else 200)


# --------------------------------------------------------------------------- admin

@bp.route("/admin/")
@allow("admin")
def admin_index():
    campaigns = db.session.scalars(sa.select(Campaign).where(Campaign.archived_at.is_(None))
                                   .order_by(Campaign.id.desc())).all()
    return render_template("judging/admin_index.html", campaigns=campaigns)


@bp.route("/admin/campaigns/<int:campaign_id>/panel", methods=["GET", "POST"])
@allow("admin")
def panel(campaign_id: int):
    campaign = svc.get_campaign(campaign_id)
    if request.method == "POST":
        action = request.form.get("action")
        if action == "add":
            svc.add_panel_member(campaign_id, _int("judge_id"), request.form.get("max_load"), current_user)
            flash(_("Đã thêm giám khảo vào hội đồng."), "success")
        elif action == "cap":
            svc.set_max_load(campaign_id, _int("judge_id"), request.form.get("max_load"), current_user)
            flash(_("Đã cập nhật giới hạn số hồ sơ."), "success")
        elif action == "remove":
            svc.remove_panel_member(campaign_id, _int("judge_id"), current_user)
            flash(_("Đã bỏ giám khảo khỏi hội đồng."), "success")
        else:
            abort(400)
        return redirect(url_for(".panel", campaign_id=campaign_id))
    return render_template("judging/panel.html", campaign=campaign, members=svc.panel(campaign_id),
                           available=svc.available_judges(campaign_id))


@bp.route("/admin/campaigns/<int:campaign_id>/assignments")
@allow("admin")
def assignments(campaign_id: int):
    campaign = svc.get_campaign(campaign_id)
    plan = assignment_svc.propose(campaign_id) if request.args.get("preview") else None
    rows = svc.assignment_table(campaign_id)
    names = {m["judge"].id: m["judge"].username for m in svc.panel(campaign_id)}
    entries = {r["entry"].id: r["unit"] for r in rows}
    return render_template("judging/assignments.html", campaign=campaign, rows=rows, plan=plan, names=names,
                           entries=entries, members=svc.panel(campaign_id),
                           k=assignment_svc.judges_per_entry(campaign), reason_label=conflict_svc.reason_label)


@bp.route("/admin/campaigns/<int:campaign_id>/assignments/auto", methods=["POST"])
@allow("admin")
def assign_auto(campaign_id: int):
    plan = assignment_svc.apply_auto(campaign_id, current_user)
    flash(_("Đã tạo %(n)s phân công.", n=len(plan.new)), "success")
    if plan.shortfalls:
        flash(_("%(n)s hồ sơ chưa đủ giám khảo (xem danh sách).", n=len(plan.shortfalls)), "warning")
    return redirect(url_for(".assignments", campaign_id=campaign_id))


@bp.route("/admin/campaigns/<int:campaign_id>/assignments/manual", methods=["POST"])
@allow("admin")
def assign_manual(campaign_id: int):
    assignment_svc.assign(campaign_id, _int("entry_id"), _int("judge_id"), current_user)
    flash(_("Đã phân công."), "success")
    return redirect(url_for(".assignments", campaign_id=campaign_id))


@bp.route("/admin/assignments/<int:assignment_id>/remove", methods=["POST"])
@allow("admin")
def unassign(assignment_id: int):
    campaign_id = _campaign_of_assignment(assignment_id)
    assignment_svc.unassign(assignment_id, request.form.get("reason", ""), current_user)
    flash(_("Đã gỡ phân công."), "success")
    return redirect(url_for(".assignments", campaign_id=campaign_id))


@bp.route("/admin/assignments/<int:assignment_id>/reassign", methods=["POST"])
@allow("admin")
def reassign(assignment_id: int):
    campaign_id = _campaign_of_assignment(assignment_id)
    assignment_svc.reassign(assignment_id, _int("judge_id"), request.form.get("reason", ""), current_user)
    flash(_("Đã chuyển phân công."), "success")
    return redirect(url_for(".assignments", campaign_id=campaign_id))


@bp.route("/admin/assignments/<int:assignment_id>/reopen", methods=["POST"])
@allow("admin")
def reopen(assignment_id: int):
    campaign_id = _campaign_of_assignment(assignment_id)
    svc.reopen(assignment_id, request.form.get("reason", ""), current_user)
    flash(_("Đã mở lại điểm để giám khảo sửa."), "success")
    return redirect(url_for(".assignments", campaign_id=campaign_id))


def _campaign_of_assignment(assignment_id: int) -> int:
    from ..models import Assignment, Entry

    campaign_id = db.session.scalar(sa.select(Entry.campaign_id).join(Assignment, Assignment.entry_id == Entry.id)
                                    .where(Assignment.id == assignment_id))
    if campaign_id is None:
        abort(404)
    return campaign_id


@bp.route("/admin/campaigns/<int:campaign_id>/council")
@allow("admin")
def council(campaign_id: int):
    campaign = svc.get_campaign(campaign_id)
    return render_template("judging/council.html", campaign=campaign, rows=council_svc.overview(campaign_id))


@bp.route("/admin/entries/<int:entry_id>/council", methods=["GET", "POST"])
@allow("admin")
def council_entry(entry_id: int):
    error = None
    if request.method == "POST":
        try:
            if request.form.get("action") == "revoke":
                council_svc.revoke_override(_int("override_id"), request.form.get("reason", ""), current_user)
            else:
                council_svc.set_override(entry_id, request.form.get("target", ""), request.form.get("points", ""),
                                         request.form.get("reason", ""), current_user)
            flash(_("Đã ghi quyết định của Hội đồng."), "success")
            return redirect(url_for(".council_entry", entry_id=entry_id))
        except DomainError as exc:
            db.session.rollback()
            if exc.status == 403:
                raise
            error = exc.message
    detail = council_svc.entry_detail(entry_id)
    return render_template("judging/council_entry.html", d=detail, error=error,
                           form=request.form if error else None), (400 if error else 200)


@bp.route("/admin/campaigns/<int:campaign_id>/stats")
@allow("admin")
def stats(campaign_id: int):
    campaign = svc.get_campaign(campaign_id)
    return render_template("judging/stats.html", campaign=campaign, s=council_svc.judge_statistics(campaign_id))


@bp.route("/admin/campaigns/<int:campaign_id>/inflation")
@allow("admin")
def inflation(campaign_id: int):
    campaign = svc.get_campaign(campaign_id)
    return render_template("judging/inflation.html", campaign=campaign, d=council_svc.inflation(campaign_id))
