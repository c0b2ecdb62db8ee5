"""Routes of the 'results' feature (blueprint `results`, under /admin/results).

Commission pages: freshness and progress of the provisional result, ranked table with an
explanation per unit, publishing (final and mid-term), what-if preview and exports.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Response, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..access import allow
from ..extensions import db
from ..models import Campaign, Cluster, ScoreRun, Unit, UnitResult
from campaign.services.results import recompute
from campaign.services.results import export as results_export
from campaign.services.errors import DomainError, NotFound
from .forms import PublishForm, RecomputeForm, WhatIfForm

bp = Blueprint("results", __name__, url_prefix="/admin/results")
PAGE_SIZE = 200


def _campaign(campaign_id: int) -> Campaign:
    c = db.session.get(Campaign, campaign_id)
    if c is None:
        raise NotFound(_("Không tìm thấy phong trào."))
    return c


@bp.route("/")
@allow("admin", "viewer")
def index():
    campaigns = list(db.session.scalars(sa.select(Campaign).where(Campaign.archived_at.is_(None))
                                        .order_by(Campaign.id.desc())))
    runs = {r.campaign_id: r for r in db.session.scalars(
        sa.select(ScoreRun).where(ScoreRun.kind == "provisional"))}
    return render_template("results/index.html", campaigns=campaigns, runs=runs)


@bp.route("/<int:campaign_id>")
@allow("admin", "viewer")
def campaign(campaign_id: int):
    c = _campaign(campaign_id)
    runs = recompute.latest_runs(campaign_id)
    level = request.args.get("level", type=int)
    page = max(1, request.args.get("page", 1, type=int))
    run = runs["provisional"]
    rows, levels, total_rows = [], [], 0
    if run is not None:
        levels = sorted(db.session.scalars(sa.select(UnitResult.level).where(UnitResult.run_id == run.id)
                                           .distinct()))
        if level not in levels:
            level = levels[0] if levels else None
        q = (sa.select(UnitResult, Unit.code, Unit.name, Cluster.name)
             .join(Unit, Unit.id == UnitResult.unit_id)
             .outerjoin(Cluster, Cluster.id == UnitResult.cluster_id)
             .where(UnitResult.run_id == run.id, UnitResult.level == level))
        total_rows = db.session.scalar(sa.select(sa.func.count()).select_from(q.subquery()))
        rows = db.session.execute(q.order_by(UnitResult.rank, Unit.code)
                                  .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    return render_template("results/campaign.html", c=c, run=run, published=runs["published"], rows=rows,
                           levels=levels, level=level, page=page, pages=max(1, -(-total_rows // PAGE_SIZE)),
                           status=recompute.progress(campaign_id), publish_form=PublishForm(),
                           recompute_form=RecomputeForm(), show_intervals=bool((c.settings or {}).get("show_intervals")))


@bp.route("/<int:campaign_id>/status.json")
@allow("admin", "viewer")
def status(campaign_id: int):
    return jsonify(recompute.progress(campaign_id))


@bp.route("/<int:campaign_id>/recompute", methods=["POST"])
@allow("admin")
def recompute_now(campaign_id: int):
    _campaign(campaign_id)
    form = RecomputeForm()
    if form.validate_on_submit():
        from campaign.services.results.freshness import enqueue_recompute

        if enqueue_recompute(campaign_id, coalesce=False):
            flash(_("Đã yêu cầu tính lại kết quả tạm tính."), "info")
        else:
            flash(_("Hàng đợi đang tạm dừng; kết quả sẽ được tính lại khi hệ thống hoạt động trở lại."), "warning")
    return redirect(url_for("results.campaign", campaign_id=campaign_id))


def _publish(campaign_id: int, kind: str):
    _campaign(campaign_id)
    form = PublishForm()
    if not form.validate_on_submit():
        flash(_("Biểu mẫu không hợp lệ, vui lòng thử lại."), "danger")
        return redirect(url_for("results.campaign", campaign_id=campaign_id))
    try:
        queued = recompute.request_publish(campaign_id, current_user.id, kind, form.label.data or "")
    except DomainError as exc:
        flash(exc.message, "danger")
        return redirect(url_for("results.campaign", campaign_id=campaign_id))
    if queued:
        flash(_("Đang công bố kết quả; bản công bố sẽ xuất hiện sau ít giây."), "success")
    else:
        flash(_("Đã công bố kết quả."), "success")
    return redirect(url_for("results.campaign", campaign_id=campaign_id))


@bp.route("/<int:campaign_id>/publish", methods=["POST"])
@allow("admin")
def publish(campaign_id: int):
    return _publish(campaign_id, "snapshot")


@bp.route("/<int:campaign_id>/midterm", methods=["POST"])
@allow("admin")
def midterm(campaign_id: int):
    return _publish(campaign_id, "midterm")


@bp.route("/<int:campaign_id>/runs/<int:run_id>/units/<int:unit_id>")
@allow("admin", "viewer")
def explain(campaign_id: int, run_id: int, unit_id: int):
    c = _campaign(campaign_id)
    run = db.session.get(ScoreRun, run_id)
    if run is None or run.campaign_id != campaign_id:
        raise NotFound(_("Không tìm thấy kết quả của đơn vị."))
    data = recompute.explain(run_id, unit_id)
    if request.args.get("format") == "json":
        return jsonify(data)
    unit = db.session.get(Unit, unit_id)
    return render_template("results/explain.html", c=c, run=run, unit=unit, data=data)


def _parse_weights(text: str | None) -> dict:
    out = {}
    for part in (text or "").replace(";", ",").split(","):
        if "=" in part:
            k, v = part.split("=", 1)
            try:
                out[k.strip()] = float(v.strip().replace(",", "."))
            except ValueError:
                raise DomainError(_("Trọng số không hợp lệ: %(part)s", part=part.strip())) from None
    return out


@bp.route("/<int:campaign_id>/whatif")
@allow("admin", "viewer")
def whatif(campaign_id: int):
    c = _campaign(campaign_id)
    form = WhatIfForm(request.args)
    result = None
    error = None
    if request.args:
        try:
            override = {"aggregation": form.aggregation.data or "mean", "normalise": bool(form.normalise.data)}
            weights = _parse_weights(form.weights.data)
            if weights:
                override["weights"] = weights
            result = recompute.what_if(campaign_id, override)
        except DomainError as exc:
            error = exc.message
    return render_template("results/whatif.html", c=c, form=form, result=result, error=error)


@bp.route("/<int:campaign_id>/export")
@allow("admin", "viewer")
def export(campaign_id: int):
    fmt = request.args.get("format", "csv")
    run_id = request.args.get("run", type=int)
    content, filename, mimetype = results_export.export(campaign_id, fmt, run_id)
    return Response(content, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
