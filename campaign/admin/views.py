"""Routes of the 'admin' feature (blueprint `admin`, under /admin): campaigns, lifecycle,
frameworks, units, clusters and imports. Views parse a form, call one service, render."""
from __future__ import annotations

from datetime import date

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from campaign import formats
from campaign.importers.official import REFORM_DATE
from campaign.services.errors import DomainError, NotFound
from campaign.services.setup import campaigns as svc
from campaign.services.setup import framework_io, lifecycle, participant_rules, unit_sync
from campaign.services.setup import units as units_svc
from campaign.services.setup.campaigns import TIE_BREAK_FIXED
from campaign.services.setup.framework_cache import parsed

from ..access import allow
from ..labels import N_
from ..templating import day as day_text
from ..templating import named
from ..web import attachment
from ..words import tie_break_label
from .forms import (
    CampaignForm,
    ClusterForm,
    CsrfForm,
    ExtensionForm,
    FrameworkEditForm,
    FrameworkImportForm,
    ImportForm,
    InactiveForm,
    MidtermForm,
    TransitionForm,
    UnitFilterForm,
    UnitForm,
    local_to_utc,
)

bp = Blueprint("admin", __name__, url_prefix="/admin")

# Other features' admin pages, linked from the dashboard when they exist.
FEATURE_LINKS = (
    ("reporting.index", N_("Báo cáo, thống kê")),
    ("results.index", N_("Kết quả, công bố")),
    ("results.dashboard", N_("Kết quả, công bố")),
    ("judging.admin_index", N_("Hội đồng giám khảo, phân công chấm")),
    ("accounts.users", N_("Người dùng")),
    ("accounts.audit_log", N_("Nhật ký thao tác")),
)


def _lang() -> str:
    return str(get_locale())


@bp.app_template_filter("loc")
def _loc(value) -> str:
    """A {vi, en} mapping in the current language."""
    if isinstance(value, dict):
        return value.get(_lang()) or value.get("vi") or next(iter(value.values()), "")
    return value or ""


@bp.app_context_processor
def _helpers():
    return {"status_label": svc.status_label, "unit_kind_label": units_svc.kind_label}


# --------------------------------------------------------------------------- dashboard

@bp.route("/")
@allow("admin")
def dashboard():
    links = [(ep, _(label)) for ep, label in FEATURE_LINKS
             if ep in current_app.view_functions and not _has_args(ep)]
    campaigns = svc.list_campaigns()
    return render_template("admin/dashboard.html", campaigns=campaigns[:8], links=links,
                           level_counts=units_svc.level_counts(), n_clusters=len(units_svc.list_clusters(shared_only=True)),
                           n_templates=len(framework_io.list_templates()))


def _has_args(endpoint: str) -> bool:
    """A link needs a route without required arguments."""
    return all(rule.arguments for rule in current_app.url_map.iter_rules(endpoint))


# --------------------------------------------------------------------------- campaigns

@bp.route("/campaigns")
@allow("admin")
def campaigns():
    show_archived = request.args.get("archived") == "1"
    return render_template("admin/campaigns.html", rows=svc.list_campaigns(include_archived=show_archived),
                           show_archived=show_archived)


def _campaign_form(form: CampaignForm, creating: bool, campaign=None) -> CampaignForm:
    clusters = units_svc.list_clusters(campaign_id=campaign.id if campaign else None)
    choices = [(str(c.id), f"{c.code} – {named(c)}") for c in clusters]
    form.cluster_ids.choices = choices
    form.ranking_cluster_ids.choices = choices
    _tie_break_choices(form, campaign)
    if creating:
        form.template_code.choices = [("", _("— chọn —"))] + [
            (t["code"], f"{_loc(t['name'])} ({t['scale']:g})") for t in framework_io.list_templates()]
        versions = []
        for row in framework_io.list_frameworks():
            for v in framework_io.framework_versions(row["framework"].id):
                versions.append((str(v.id), f"{row['framework'].code} v{v.version} – {named(row['framework'])}"))
        form.framework_version_id.choices = [("", _("— chọn —"))] + versions
    else:  # the framework is changed on its own page, not here
        form.template_code.validate_choice = form.framework_version_id.validate_choice = False
    return form


def _tie_break_choices(form: CampaignForm, campaign=None) -> None:
    """Tie-break rules as words to choose from: each regular group of the campaign's framework, fewer
    deductions, earlier submission (a rule already chosen stays listed)."""
    codes = []
    if campaign is not None and campaign.framework_version_id:
        codes += [(f"group:{g.code}", f"{g.code} ({_loc(g.name)})")
                  for g in parsed(campaign.framework_version_id).groups if g.kind == "regular"]
    codes += [(code, "") for code in TIE_BREAK_FIXED]
    known = {code for code, _name in codes}
    codes += [(e.data, "") for e in form.tie_breaks.entries if e.data and e.data not in known]
    options = []
    for code, group in codes:
        text = tie_break_label(code, group)
        options.append((code, text[:1].upper() + text[1:]))
    for entry in form.tie_breaks.entries:
        entry.choices = [("", _("— không dùng —"))] + options


def _apply_field_errors(form: CampaignForm, errors: dict) -> None:
    for field, message in errors.items():
        target = getattr(form, field, None)
        if target is None:
            target = form.bands if field == "bands" else None
        if target is not None:
            target.errors = list(target.errors) + [message] if isinstance(target.errors, list) else [message]
        else:
            flash(message, "danger")


@bp.route("/campaigns/new", methods=["GET", "POST"])
@allow("admin")
def campaign_new():
    form = _campaign_form(CampaignForm(), creating=True)
    if request.method == "GET":
        form.load_settings(svc.default_settings())
        if request.args.get("template"):
            form.template_code.data = request.args["template"]
        form.levels.data = participant_rules.default_levels()
    valid = form.validate_on_submit()
    if request.method == "POST" and not valid:  # the service's checks too: every error in one round
        basics = {f: getattr(form, f).data for f in (*svc.BASIC_FIELDS, "template_code", "framework_version_id")
                  if hasattr(form, f) and not getattr(form, f).errors}
        _apply_field_errors(form, {k: m for k, m in svc.new_campaign_errors(basics).items()
                                   if not getattr(form, k).errors})
    if valid:
        try:
            c = svc.create_campaign(form.to_data(), user_id=current_user.id, require_framework=True)
        except svc.ValidationFailed as exc:
            _apply_field_errors(form, exc.errors)
        else:
            flash(_("Đã tạo phong trào “%(name)s” (nháp).", name=c.name), "success")
            own = svc.framework_bands_used(c, form.to_data()["settings"]["bands"])
            if own:
                lang = str(get_locale() or "vi")
                names = ", ".join(f"{(b.get('label') or {}).get(lang) or (b.get('label') or {}).get('vi') or b['code']} "
                                  f"(≥ {formats.plain(b.get('min_total') or 0, lang)})" for b in own)
                flash(_("Bộ tiêu chí này có sẵn mức xếp loại riêng nên phong trào dùng các mức đó thay cho bảng mẫu: "
                        "%(bands)s. Có thể sửa ở trang Sửa phong trào.", bands=names), "info")
            return redirect(url_for("admin.campaign_detail", campaign_id=c.id))
    return render_template("admin/campaign_form.html", form=form, campaign=None), (400 if form.errors else 200)


@bp.route("/campaigns/<int:campaign_id>")
@allow("admin")
def campaign_detail(campaign_id: int):
    return _detail_page(campaign_id)


def _detail_page(campaign_id: int, ext_form: ExtensionForm | None = None) -> str:
    """The campaign's page; ``ext_form``: a deadline extension that came back with errors, as typed."""
    c = svc.get_campaign(campaign_id)
    return render_template(
        "admin/campaign_detail.html", c=c, moves=lifecycle.allowed_moves(c), history=svc.status_history(c.id),
        summary=svc.participant_summary(c.id), entries=svc.entry_count(c.id), extensions=svc.extensions(c.id),
        transition_form=TransitionForm(), midterm_form=MidtermForm(), ext_form=ext_form or _ext_form(c.id),
        csrf_form=CsrfForm(), archive_problem=svc.archive_problem(c))


@bp.route("/campaigns/<int:campaign_id>/edit", methods=["GET", "POST"])
@allow("admin")
def campaign_edit(campaign_id: int):
    c = svc.get_campaign(campaign_id)
    form = _campaign_form(CampaignForm(), creating=False, campaign=c)
    if request.method == "GET":
        form.load(c, *svc.participant_rule(c))
    refused = False
    if form.validate_on_submit():
        try:
            svc.update_campaign(c.id, form.to_data(), user_id=current_user.id)
        except svc.ValidationFailed as exc:
            _apply_field_errors(form, exc.errors)
        except DomainError as exc:  # e.g. removing a unit that has an entry: say why, keep what was typed
            flash(exc.message, "danger")
            refused = True
        else:
            flash(_("Đã lưu thay đổi."), "success")
            return redirect(url_for("admin.campaign_detail", campaign_id=c.id))
    status = 409 if refused else 400 if form.errors else 200
    return render_template("admin/campaign_form.html", form=form, campaign=c), status


@bp.route("/campaigns/<int:campaign_id>/participants")
@allow("admin")
def campaign_participants(campaign_id: int):
    c = svc.get_campaign(campaign_id)
    return render_template("admin/participants.html", c=c, rows=svc.participants(c.id))


@bp.route("/campaigns/<int:campaign_id>/status", methods=["POST"])
@allow("admin")
def campaign_status(campaign_id: int):
    form = TransitionForm()
    if form.validate_on_submit():
        try:
            if form.confirmed.data != "1":  # first press: say what will happen, change nothing
                return render_template("admin/confirm_move.html", form=form, p=lifecycle.move_preview(
                    campaign_id, form.to.data, force=bool(form.force.data)))
            c = lifecycle.transition(campaign_id, form.to.data, user_id=current_user.id, note=form.note.data or "",
                                     force=bool(form.force.data))
            flash(_("Phong trào chuyển sang trạng thái “%(s)s”.", s=svc.status_label(c.status)), "success")
        except DomainError as exc:
            flash(exc.message, "danger")
    else:
        flash(_("Yêu cầu không hợp lệ."), "danger")
    return redirect(url_for("admin.campaign_detail", campaign_id=campaign_id), code=303)


@bp.route("/campaigns/<int:campaign_id>/midterm", methods=["POST"])
@allow("admin")
def campaign_midterm(campaign_id: int):
    form = MidtermForm()
    if form.validate_on_submit():
        try:
            if form.confirmed.data != "1":  # first press: say what will happen, change nothing
                return render_template("admin/confirm_move.html", form=form,
                                       p=lifecycle.move_preview(campaign_id, "midterm"))
            lifecycle.midterm_review(campaign_id, user_id=current_user.id, label=form.label.data or "")
            flash(_("Đã công bố kết quả sơ kết."), "success")
        except DomainError as exc:
            flash(exc.message, "danger")
    return redirect(url_for("admin.campaign_detail", campaign_id=campaign_id), code=303)


@bp.route("/campaigns/<int:campaign_id>/archive", methods=["POST"])
@allow("admin")
def campaign_archive(campaign_id: int):
    form = CsrfForm()
    if form.validate_on_submit():
        archived = request.form.get("archived", "1") == "1"
        try:
            if archived and request.form.get("confirmed") != "1":  # first request: say what will happen
                return render_template("admin/confirm_archive.html", p=svc.archive_preview(campaign_id), form=form)
            svc.archive_campaign(campaign_id, archived=archived, user_id=current_user.id)
            flash(_("Đã lưu trữ phong trào.") if archived else _("Đã bỏ lưu trữ phong trào."), "success")
        except DomainError as exc:
            flash(exc.message, "danger")
    return redirect(url_for("admin.campaign_detail", campaign_id=campaign_id), code=303)


@bp.route("/campaigns/<int:campaign_id>/clone", methods=["POST"])
@allow("admin")
def campaign_clone(campaign_id: int):
    form = CsrfForm()
    if not form.validate_on_submit():
        return redirect(url_for("admin.campaign_detail", campaign_id=campaign_id), code=303)
    c = svc.clone_campaign(campaign_id, user_id=current_user.id)
    flash(_("Đã nhân bản thành phong trào nháp mới. Hãy đặt thời gian và hạn nộp."), "success")
    return redirect(url_for("admin.campaign_edit", campaign_id=c.id), code=303)


def _ext_form(campaign_id: int) -> ExtensionForm:
    form = ExtensionForm()
    form.unit_id.choices = [(u.id, f"{u.code} – {u.name}") for u, _c in svc.participants(campaign_id)]
    return form


@bp.route("/campaigns/<int:campaign_id>/extensions", methods=["POST"])
@allow("admin")
def campaign_extend(campaign_id: int):
    svc.get_campaign(campaign_id)
    form = _ext_form(campaign_id)
    if form.validate_on_submit():
        try:
            svc.extend_deadline(campaign_id, form.unit_id.data, local_to_utc(form.new_deadline.data),
                                form.reason.data, user_id=current_user.id)
        except DomainError as exc:  # e.g. a deadline already past: said under the deadline, the rest kept
            form.new_deadline.errors = [*form.new_deadline.errors, exc.message]
        else:
            flash(_("Đã gia hạn nộp bài cho đơn vị."), "success")
            return redirect(url_for("admin.campaign_detail", campaign_id=campaign_id, _anchor="extensions"), code=303)
    return _detail_page(campaign_id, form), 400


@bp.route("/campaigns/<int:campaign_id>/extensions/<int:unit_id>/delete", methods=["POST"])
@allow("admin")
def campaign_extension_delete(campaign_id: int, unit_id: int):
    if CsrfForm().validate_on_submit():
        svc.remove_extension(campaign_id, unit_id, user_id=current_user.id)
        flash(_("Đã bỏ gia hạn."), "success")
    return redirect(url_for("admin.campaign_detail", campaign_id=campaign_id, _anchor="extensions"), code=303)


@bp.route("/campaigns/<int:campaign_id>/framework", methods=["GET", "POST"])
@allow("admin")
def campaign_framework(campaign_id: int):
    form = FrameworkEditForm()
    problems: list[str] = []
    if form.validate_on_submit():
        try:
            v = svc.replace_framework_text(campaign_id, form.document.data, user_id=current_user.id)
        except framework_io.FrameworkProblems as exc:
            problems = exc.problems
        except DomainError as exc:
            problems = [exc.message]
        else:
            flash(_("Đã lưu bộ tiêu chí thành phiên bản v%(v)s.", v=v.version), "success")
            return redirect(url_for("admin.campaign_framework", campaign_id=campaign_id), code=303)
    page = svc.framework_editor(campaign_id)
    if request.method == "GET":
        form.document.data = page.text
    return render_template("admin/campaign_framework.html", c=page.campaign, form=form, problems=problems, fw=page.fw,
                           entries=page.entries), (400 if problems else 200)


# --------------------------------------------------------------------------- frameworks

@bp.route("/frameworks")
@allow("admin")
def frameworks():
    return render_template("admin/frameworks.html", templates=framework_io.list_templates(),
                           rows=framework_io.list_frameworks(), form=FrameworkImportForm())


@bp.route("/frameworks/import", methods=["POST"])
@allow("admin")
def framework_import():
    form = FrameworkImportForm()
    if form.validate_on_submit():
        f = form.file.data
        try:
            v, created = framework_io.import_framework(f.read(), f.filename or "", user_id=current_user.id)
            if created:
                flash(_("Đã nhập bộ tiêu chí %(code)s, phiên bản v%(v)s.", code=v.framework.code, v=v.version), "success")
            else:
                flash(_("Bộ tiêu chí %(code)s v%(v)s đã có, giống hệt tệp: không tạo phiên bản mới.",
                        code=v.framework.code, v=v.version), "info")
            return redirect(url_for("admin.framework_detail", framework_id=v.framework_id), code=303)
        except DomainError as exc:
            flash(exc.message, "danger")
    else:
        flash(_("Hãy chọn tệp bộ tiêu chí."), "danger")
    return redirect(url_for("admin.frameworks"), code=303)


@bp.route("/frameworks/<int:framework_id>", methods=["GET", "POST"])
@allow("admin")
def framework_detail(framework_id: int):
    form = FrameworkEditForm()
    problems: list[str] = []
    if form.validate_on_submit():
        try:
            v, created = framework_io.save_edited(framework_id, form.document.data, user_id=current_user.id)
        except framework_io.FrameworkProblems as exc:
            problems = exc.problems
        except DomainError as exc:
            problems = [exc.message]
        else:
            flash(_("Đã lưu phiên bản v%(v)s. Các phong trào đang dùng phiên bản cũ không bị ảnh hưởng.", v=v.version)
                  if created else _("Không có thay đổi."), "success")
            return redirect(url_for("admin.framework_detail", framework_id=framework_id), code=303)
    page = framework_io.framework_page(framework_id)
    if request.method == "GET":
        form.document.data = page.text
    return render_template("admin/framework_detail.html", framework=page.framework, versions=page.versions,
                           latest=page.latest, fw=page.fw, form=form, problems=problems), (400 if problems else 200)


@bp.route("/framework-versions/<int:version_id>/export.<fmt>")
@allow("admin")
def framework_export(version_id: int, fmt: str):
    if fmt == "xlsx":
        body, name = framework_io.blank_scoring_table_for_version(version_id, _lang())
        return attachment(body, name, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    if fmt not in framework_io.FORMATS:
        raise NotFound(_("Định dạng xuất không hợp lệ."))
    text, name = framework_io.export_version(version_id, fmt)
    return attachment(text.encode("utf-8"), name, "application/json" if fmt == "json" else "application/x-yaml")


@bp.route("/framework-templates/<code>/export.<fmt>")
@allow("admin")
def template_export(code: str, fmt: str):
    doc = framework_io.template_doc(code)
    if fmt == "xlsx":
        return attachment(framework_io.blank_scoring_table(doc, _lang()), f"bang-cham-diem-{code}.xlsx",
                         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    if fmt not in framework_io.FORMATS:
        raise NotFound(_("Định dạng xuất không hợp lệ."))
    return attachment(framework_io.dumps(doc, fmt).encode("utf-8"), f"{code}.{fmt}",
                     "application/json" if fmt == "json" else "application/x-yaml")


@bp.route("/framework-templates/<code>")
@allow("admin")
def template_detail(code: str):
    doc, fw = framework_io.template_page(code)
    return render_template("admin/template_detail.html", doc=doc, fw=fw, code=code)


# --------------------------------------------------------------------------- units

@bp.route("/units")
@allow("admin")
def units():
    form = UnitFilterForm(request.args)
    query = (form.q.data or "").strip() if form.validate() else ""
    tree = units_svc.unit_tree(include_inactive=bool(form.ended.data), query=query)
    ended_matches = units_svc.ended_matches(query) if query and not form.ended.data else 0
    return render_template("admin/units.html", form=form, query=query, tree=tree, ended_matches=ended_matches,
                           counts=units_svc.unit_counts(), ended=units_svc.ended_count(), reform_date=REFORM_DATE,
                           inactive_form=InactiveForm(), today=date.today())


def _unit_form(form: UnitForm, unit=None) -> UnitForm:
    form.parent_id.choices = [("", _("— không có —"))] + [
        (str(u.id), f"{u.code} – {u.name}") for u in units_svc.unit_choices((1, 2)) if unit is None or u.id != unit.id]
    return form


@bp.route("/units/new", methods=["GET", "POST"])
@bp.route("/units/<int:unit_id>/edit", methods=["GET", "POST"])
@allow("admin")
def unit_edit(unit_id: int | None = None):
    unit = units_svc.get_unit(unit_id) if unit_id else None
    form = _unit_form(UnitForm(obj=unit) if request.method == "GET" else UnitForm(), unit)
    if request.method == "GET" and unit is not None:
        form.parent_id.data = str(unit.parent_id) if unit.parent_id else ""
    if request.method == "GET" and unit is None and request.args.get("parent"):
        form.parent_id.data = request.args["parent"]
    if form.validate_on_submit():
        try:
            u = units_svc.save_unit({"code": form.code.data, "name": form.name.data, "name_en": form.name_en.data,
                                     "kind": form.kind.data, "parent_id": form.parent_id.data or None,
                                     "population": form.population.data, "area_km2": form.area_km2.data},
                                    unit_id=unit_id, user_id=current_user.id)
            flash(_("Đã lưu đơn vị %(name)s.", name=u.name), "success")
            return redirect(url_for("admin.units", _anchor=f"u{u.id}"), code=303)
        except DomainError as exc:
            form.code.errors = list(form.code.errors) + [exc.message]
    return render_template("admin/unit_form.html", form=form, unit=unit,
                           inactive_form=InactiveForm()), (400 if form.errors else 200)


@bp.route("/units/<int:unit_id>/inactive", methods=["POST"])
@allow("admin")
def unit_inactive(unit_id: int):
    form = InactiveForm()
    if form.validate_on_submit():
        reactivate = request.form.get("reactivate") == "1"
        valid_to = None if reactivate else (form.valid_to.data or date.today())
        u = units_svc.set_inactive(unit_id, valid_to, form.reason.data or "", user_id=current_user.id)
        flash(_("Đơn vị %(name)s hoạt động trở lại.", name=u.name) if reactivate else
              _("Đơn vị %(name)s ngừng hoạt động từ %(day)s.", name=u.name, day=day_text(valid_to)), "success")
    return redirect(url_for("admin.units", _anchor=f"u{unit_id}"), code=303)


@bp.route("/units/import", methods=["GET", "POST"])
@allow("admin")
def units_import():
    form = ImportForm()
    report = None
    if form.validate_on_submit():
        f = form.file.data
        data = f.read()
        try:
            if form.kind.data == "gso":
                report = unit_sync.import_gso(data, f.filename or "", dry_run=bool(form.dry_run.data),
                                              effective=form.effective.data, confirm=request.form.get("confirm"),
                                              user_id=current_user.id)
            elif form.kind.data == "units_csv":
                report = units_svc.import_units_csv(data, dry_run=bool(form.dry_run.data), user_id=current_user.id)
            else:
                report = units_svc.import_clusters_csv(data, dry_run=bool(form.dry_run.data), user_id=current_user.id)
        except DomainError as exc:
            form.file.errors = list(form.file.errors) + [exc.message]
    return render_template("admin/units_import.html", form=form, report=report), (400 if form.errors else 200)


# --------------------------------------------------------------------------- clusters

@bp.route("/clusters")
@allow("admin")
def clusters():
    return render_template("admin/clusters.html", clusters=units_svc.list_clusters(shared_only=True))


@bp.route("/clusters/new", methods=["GET", "POST"])
@bp.route("/clusters/<int:cluster_id>/edit", methods=["GET", "POST"])
@allow("admin")
def cluster_edit(cluster_id: int | None = None):
    cluster = units_svc.get_cluster(cluster_id) if cluster_id else None
    form = ClusterForm(obj=cluster) if request.method == "GET" else ClusterForm()
    choices = units_svc.cluster_unit_choices(cluster)
    form.member_ids.choices = choices
    unit_opts = [("", _("— không có —"))] + [(str(i), label) for i, label in choices]
    form.head_unit_id.choices = unit_opts
    form.deputy_unit_id.choices = unit_opts
    if request.method == "GET" and cluster is not None:
        form.member_ids.data = [m.unit_id for m in cluster.members]
        form.head_unit_id.data = str(cluster.head_unit_id or "")
        form.deputy_unit_id.data = str(cluster.deputy_unit_id or "")
    if form.validate_on_submit():
        try:
            c = units_svc.save_cluster({"code": form.code.data, "name": form.name.data, "name_en": form.name_en.data,
                                        "kind": form.kind.data, "member_ids": form.member_ids.data,
                                        "head_unit_id": form.head_unit_id.data, "deputy_unit_id": form.deputy_unit_id.data},
                                       cluster_id=cluster_id, user_id=current_user.id)
            flash(_("Đã lưu cụm %(name)s.", name=c.name), "success")
            return redirect(url_for("admin.clusters"), code=303)
        except DomainError as exc:  # said under the field it is about (the code, unless it names one)
            wrong = form[exc.field] if exc.field in ("head_unit_id", "deputy_unit_id") else form.code
            wrong.errors = [*wrong.errors, exc.message]
    return render_template("admin/cluster_form.html", form=form, cluster=cluster), (400 if form.errors else 200)


@bp.route("/clusters/<int:cluster_id>/delete", methods=["POST"])
@allow("admin")
def cluster_delete(cluster_id: int):
    """First press: what deleting means (or why it cannot be done); the confirmation deletes."""
    form = CsrfForm()
    cluster = units_svc.get_cluster(cluster_id)
    if not form.validate_on_submit():
        return redirect(url_for("admin.cluster_edit", cluster_id=cluster_id), code=303)
    if request.form.get("confirmed") != "1":
        return render_template("admin/confirm_cluster_delete.html", cluster=cluster, form=form,
                               uses=units_svc.cluster_uses(cluster_id))
    code = cluster.code
    try:
        units_svc.delete_cluster(cluster_id, user_id=current_user.id)
    except DomainError as exc:
        flash(exc.message, "danger")
        return redirect(url_for("admin.cluster_edit", cluster_id=cluster_id), code=303)
    flash(_("Đã xoá cụm %(code)s.", code=code), "success")
    return redirect(url_for("admin.clusters"), code=303)

