"""Routes of the 'judging' feature (blueprint `judging`, under /judging).

Judges: /judging/ (my assignments), /judging/entries/<id> (score, save a draft, submit with a
confirmation step), clarifications, evidence, conflicts. Admin: /judging/admin/… panel,
assignment (dry run, auto, manual), reopening (with a confirmation step), council,
statistics, inflation. Each view parses a form and calls one service; object-level checks
live in the services.
"""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from campaign.services.errors import DomainError
from campaign.services.judging import assignment as assignment_svc
from campaign.services.judging import conflicts as conflict_svc
from campaign.services.judging import council as council_svc
from campaign.services.judging import panel as panel_svc
from campaign.services.judging import workspace as svc
from campaign.services.setup.campaigns import get_campaign, status_label

from ..access import allow
from ..web import evidence_file
from . import forms as F

bp = Blueprint("judging", __name__, url_prefix="/judging")


@bp.context_processor
def _labels() -> dict:
    return {"status_label": status_label, "assignment_status_label": panel_svc.assignment_status_label,
            "reason_label": conflict_svc.reason_label, "aggregation_label": council_svc.aggregation_label}


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
    form = F.build_score_form(view["fw"], formdata=None, data=_form_data(view["marks"]))
    return _entry_page(view, form, {})


def _form_data(marks: dict) -> dict:
    data = {}
    for code, (points, comment, public) in marks.items():
        data.update({F.points_name(code): points, F.comment_name(code): comment, F.public_name(code): public})
    return data


def _entry_page(view: dict, form, errors: dict, *, unsaved: bool = False, clarify=None, status: int = 200):
    """The scoring page; ``unsaved`` when what the form shows is not what is stored."""
    return render_template("judging/entry.html", v=view, form=form, errors=errors, unsaved=unsaved,
                           clarify=clarify or F.ClarifyForm(formdata=None)), status


@bp.route("/entries/<int:entry_id>/score", methods=["POST"])
@allow("judge")
def score(entry_id: int):
    form = F.build_score_form(svc.entry_framework(current_user.id, entry_id))
    if not form.validate():
        flash(_("Chưa lưu: hãy sửa các mục được đánh dấu."), "danger")
        errors = {name: field.errors[0] for name, field in form._fields.items() if field.errors}
        return _entry_page(svc.entry_view(current_user.id, entry_id), form, errors, unsaved=True, status=400)
    result = svc.save_scores(current_user.id, entry_id, form.marks(), submit=form.action.data == "submit")
    if result.ready:
        return redirect(url_for(".confirm_submit", entry_id=entry_id))
    if not result.ok:
        flash(_("Chưa nộp: hãy sửa các mục được đánh dấu. Những gì bạn nhập đã được lưu nháp.") if result.saved
              else _("Chưa lưu: hãy sửa các mục được đánh dấu."), "danger")
        return _entry_page(svc.entry_view(current_user.id, entry_id), form, result.errors,
                           unsaved=not result.saved, status=400)
    flash(result.notice or _("Đã lưu nháp."), "warning" if result.notice else "success")
    return redirect(url_for(".entry", entry_id=entry_id))


@bp.route("/entries/<int:entry_id>/submit", methods=["GET", "POST"])
@allow("judge")
def confirm_submit(entry_id: int):
    form = F.ConfirmSubmitForm()
    if form.validate_on_submit():
        svc.confirm_submit(current_user.id, entry_id, form.digest.data or "")
        flash(_("Đã nộp điểm."), "success")
        return redirect(url_for(".dashboard"))
    summary = svc.submission_summary(current_user.id, entry_id)
    form.digest.data = summary["digest"]
    return render_template("judging/confirm_submit.html", s=summary, form=form)


@bp.route("/entries/<int:entry_id>/clarify", methods=["POST"])
@allow("judge")
def clarify(entry_id: int):
    form = F.ClarifyForm()
    if form.validate():
        try:
            svc.request_clarification(current_user.id, entry_id, form.codes.data or [], form.message.data or "")
            flash(_("Đã gửi yêu cầu giải trình tới đơn vị."), "success")
            return redirect(url_for(".entry", entry_id=entry_id))
        except DomainError as exc:
            if exc.status != 400:
                raise
            form.message.errors = [*form.message.errors, exc.message]
    view = svc.entry_view(current_user.id, entry_id)
    form_s = F.build_score_form(view["fw"], formdata=None, data=_form_data(view["marks"]))
    return _entry_page(view, form_s, {}, clarify=form, status=400)


@bp.route("/evidence/<int:file_id>")
@allow("judge")
def evidence(file_id: int):
    d = svc.evidence_for_judge(current_user.id, file_id)
    return evidence_file(d.path, d.name, d.mime, inline=d.inline)


@bp.route("/conflicts", methods=["GET", "POST"])
@allow("judge")
def declare_conflicts():
    page = svc.conflict_page(current_user.id)
    form = F.ConflictForm()
    form.unit_id.choices = [(u.id, u.name) for u in page["units"]]
    if form.validate_on_submit():
        svc.declare_conflict(current_user.id, form.unit_id.data, form.reason.data)
        flash(_("Đã ghi nhận khai báo xung đột lợi ích. Nếu đơn vị này có hồ sơ được giao cho bạn, "
                "ban thi đua sẽ xem xét phân công lại."), "success")
        return redirect(url_for(".declare_conflicts"))
    status = 400 if form.errors else 200
    return render_template("judging/conflicts.html", form=form, **page), status


# --------------------------------------------------------------------------- admin

@bp.route("/admin/")
@allow("admin")
def admin_index():
    return render_template("judging/admin_index.html", campaigns=panel_svc.admin_campaigns())


@bp.route("/admin/campaigns/<int:campaign_id>/panel")
@allow("admin")
def panel(campaign_id: int):
    return _panel_page(campaign_id, F.PanelAddForm(formdata=None))


def _panel_page(campaign_id: int, add_form, status: int = 200):
    page = panel_svc.panel_page(campaign_id)
    add_form.judge_id.choices = [(u["id"], f'{u["name"]} ({u["username"]})') for u in page["available"]]
    return render_template("judging/panel.html", add_form=add_form, cap_form=F.PanelCapForm(formdata=None),
                           csrf_form=F.CsrfForm(formdata=None), **page), status


@bp.route("/admin/campaigns/<int:campaign_id>/panel/add", methods=["POST"])
@allow("admin")
def panel_add(campaign_id: int):
    form = F.PanelAddForm()
    form.judge_id.choices = [(u["id"], u["name"]) for u in panel_svc.panel_page(campaign_id)["available"]]
    if not form.validate():
        return _panel_page(campaign_id, form, 400)
    panel_svc.add_panel_member(campaign_id, form.judge_id.data, form.max_load.data)
    flash(_("Đã thêm giám khảo vào hội đồng."), "success")
    return redirect(url_for(".panel", campaign_id=campaign_id))


@bp.route("/admin/campaigns/<int:campaign_id>/panel/<int:judge_id>/cap", methods=["POST"])
@allow("admin")
def panel_cap(campaign_id: int, judge_id: int):
    form = F.PanelCapForm()
    if not form.validate():
        flash(_("Giới hạn số hồ sơ phải là số nguyên không âm."), "danger")
        return _panel_page(campaign_id, F.PanelAddForm(formdata=None), 400)
    panel_svc.set_max_load(campaign_id, judge_id, form.max_load.data)
    flash(_("Đã cập nhật giới hạn số hồ sơ."), "success")
    return redirect(url_for(".panel", campaign_id=campaign_id))


@bp.route("/admin/campaigns/<int:campaign_id>/panel/<int:judge_id>/remove", methods=["POST"])
@allow("admin")
def panel_remove(campaign_id: int, judge_id: int):
    if F.CsrfForm().validate():
        panel_svc.remove_panel_member(campaign_id, judge_id)
        flash(_("Đã bỏ giám khảo khỏi hội đồng."), "success")
    return redirect(url_for(".panel", campaign_id=campaign_id))


@bp.route("/admin/campaigns/<int:campaign_id>/assignments")
@allow("admin")
def assignments(campaign_id: int):
    return _assignments_page(campaign_id, F.ManualAssignForm(formdata=None), preview=bool(request.args.get("preview")))


def _assignments_page(campaign_id: int, manual, *, preview: bool = False, error: str | None = None, status: int = 200,
                      refused: dict | None = None):
    """The assignment table; a refused manual assignment comes back here with what was chosen and why, a refused
    move or removal (``refused``: assignment id, action, message, what was typed) beside its own form."""
    page = panel_svc.assignments_page(campaign_id, preview=preview)
    return render_template("judging/assignments.html", manual=manual, manual_error=error, refused=refused,
                           csrf_form=F.CsrfForm(formdata=None), **page), status


def _refused_action(campaign_id: int, assignment_id: int, action: str, exc: DomainError, form):
    if exc.status not in (400, 409):
        raise exc
    refused = {"id": assignment_id, "action": action, "message": exc.message, "reason": form.reason.data or "",
               "judge_id": getattr(getattr(form, "judge_id", None), "data", None)}
    return _assignments_page(campaign_id, F.ManualAssignForm(formdata=None), refused=refused, status=exc.status)


@bp.route("/admin/campaigns/<int:campaign_id>/assignments/auto", methods=["POST"])
@allow("admin")
def assign_auto(campaign_id: int):
    if F.CsrfForm().validate():
        plan = assignment_svc.apply_auto(campaign_id, current_user)
        flash(_("Đã tạo %(n)s phân công.", n=len(plan.new)), "success")
        if plan.shortfalls:
            flash(_("%(n)s hồ sơ chưa đủ giám khảo (xem danh sách).", n=len(plan.shortfalls)), "warning")
    return redirect(url_for(".assignments", campaign_id=campaign_id))


@bp.route("/admin/campaigns/<int:campaign_id>/assignments/manual", methods=["POST"])
@allow("admin")
def assign_manual(campaign_id: int):
    form = F.ManualAssignForm()
    if not form.validate():  # no entry or judge chosen (the selects always hold one): said at the top
        flash(_("Hãy chọn hồ sơ và giám khảo."), "danger")
        return redirect(url_for(".assignments", campaign_id=campaign_id))
    try:
        assignment_svc.assign(campaign_id, form.entry_id.data, form.judge_id.data, current_user)
    except DomainError as exc:
        if exc.status not in (400, 409):
            raise
        return _assignments_page(campaign_id, form, error=exc.message, status=exc.status)
    flash(_("Đã phân công."), "success")
    return redirect(url_for(".assignments", campaign_id=campaign_id))


@bp.route("/admin/assignments/<int:assignment_id>/remove", methods=["POST"])
@allow("admin")
def unassign(assignment_id: int):
    campaign_id = panel_svc.campaign_of_assignment(assignment_id)
    form = F.UnassignForm()
    if form.validate():
        try:
            assignment_svc.unassign(assignment_id, form.reason.data or "", current_user)
        except DomainError as exc:
            return _refused_action(campaign_id, assignment_id, "unassign", exc, form)
        flash(_("Đã gỡ phân công."), "success")
    return redirect(url_for(".assignments", campaign_id=campaign_id))


@bp.route("/admin/assignments/<int:assignment_id>/reassign", methods=["POST"])
@allow("admin")
def reassign(assignment_id: int):
    campaign_id = panel_svc.campaign_of_assignment(assignment_id)
    form = F.ReassignForm()
    if form.validate():
        try:
            assignment_svc.reassign(assignment_id, form.judge_id.data, form.reason.data or "", current_user)
        except DomainError as exc:
            return _refused_action(campaign_id, assignment_id, "reassign", exc, form)
        flash(_("Đã chuyển phân công."), "success")
    else:
        flash(_("Hãy chọn một giám khảo."), "danger")
    return redirect(url_for(".assignments", campaign_id=campaign_id))


@bp.route("/admin/assignments/<int:assignment_id>/reopen", methods=["GET", "POST"])
@allow("admin")
def reopen(assignment_id: int):
    """A confirmation page stating what reopening does; the reason is asked there."""
    form = F.ReopenForm()
    if form.validate_on_submit():
        a = panel_svc.reopen(assignment_id, form.reason.data, current_user)
        flash(_("Đã mở lại điểm để giám khảo sửa."), "success")
        return redirect(url_for(".assignments", campaign_id=a.entry.campaign_id))
    status = 400 if form.errors else 200
    return render_template("judging/reopen.html", s=panel_svc.reopen_summary(assignment_id), form=form), status


@bp.route("/admin/campaigns/<int:campaign_id>/council")
@allow("admin")
def council(campaign_id: int):
    return render_template("judging/council.html", campaign=get_campaign(campaign_id),
                           rows=council_svc.overview(campaign_id))


def _council_page(entry_id: int, form, revoke, status: int = 200):
    detail = council_svc.entry_detail(entry_id)
    form.target.choices = detail["targets"]
    return render_template("judging/council_entry.html", d=detail, form=form, revoke=revoke), status


@bp.route("/admin/entries/<int:entry_id>/council")
@allow("admin")
def council_entry(entry_id: int):
    return _council_page(entry_id, F.OverrideForm(formdata=None), F.RevokeForm(formdata=None))


@bp.route("/admin/entries/<int:entry_id>/council/override", methods=["POST"])
@allow("admin")
def council_override(entry_id: int):
    form = F.OverrideForm()
    form.target.validate_choice = False
    if form.validate():
        try:
            council_svc.set_override(entry_id, form.target.data, form.points.data, form.reason.data, current_user)
            flash(_("Đã ghi quyết định của Hội đồng."), "success")
            return redirect(url_for(".council_entry", entry_id=entry_id))
        except DomainError as exc:
            if exc.status != 400:
                raise
            form.points.errors = [*form.points.errors, exc.message]
    return _council_page(entry_id, form, F.RevokeForm(formdata=None), 400)


@bp.route("/admin/entries/<int:entry_id>/council/revoke", methods=["POST"])
@allow("admin")
def council_revoke(entry_id: int):
    form = F.RevokeForm()
    if form.validate():
        council_svc.revoke_override(form.override_id.data, form.reason.data, current_user)
        flash(_("Đã huỷ điều chỉnh của Hội đồng."), "success")
        return redirect(url_for(".council_entry", entry_id=entry_id))
    return _council_page(entry_id, F.OverrideForm(formdata=None), form, 400)


@bp.route("/admin/campaigns/<int:campaign_id>/stats")
@allow("admin")
def stats(campaign_id: int):
    return render_template("judging/stats.html", campaign=get_campaign(campaign_id),
                           s=council_svc.judge_statistics(campaign_id))


@bp.route("/admin/campaigns/<int:campaign_id>/inflation")
@allow("admin")
def inflation(campaign_id: int):
    return render_template("judging/inflation.html", campaign=get_campaign(campaign_id),
                           d=council_svc.inflation(campaign_id))
