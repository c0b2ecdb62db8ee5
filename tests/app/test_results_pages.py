"""Results admin pages: freshness, table, explanation, publish guard and immutability, what-if, export."""
from __future__ import annotations

import csv
import io
import random

import sqlalchemy as sa

from campaign.extensions import db
from campaign.models import AuditLog, Campaign, ScoreRun, UnitResult
from campaign.services.results import recompute
from campaign.services.results.freshness import mark_stale
from tests.results_helpers import judge, rich_framework, save_values


def _campaign(factory, n=3, settings=None):
    units = [factory.unit(name=f"Quận Thử {i}") for i in range(n)]
    doc = rich_framework(f"fw-pages-{random.randrange(10**9)}")
    # an official result is published from the appraisal stage on
    c = factory.campaign(doc=doc, units=units, settings=settings or {}, status="appraisal")
    entries = []
    for i, u in enumerate(units):
        e = factory.entry(c, u, status="submitted")  # a draft is published as "not submitted"
        # I.2 target 10 → 15 or 0; I.3 yes/no 10 or 0 → totals 25, 15, 10 … (distinct)
        save_values(e, doc, {"I.2": 12.0 if i % 2 == 0 else 3.0, "I.3": i != 1, "II.1": float(i)})
        entries.append(e)
    db.session.commit()
    return c, doc, units, entries


def test_page_shows_ranked_table_and_freshness(app, client, factory):
    admin = factory.user("admin")
    c, _doc, units, _e = _campaign(factory)
    recompute.recompute_provisional(c.id)
    client.login(admin.username)
    html = client.get(f"/admin/results/{c.id}").get_data(as_text=True)
    # unit 0: 15 + 10 + 0 = 25; unit 1: 0 + 0 + 3 = 3; unit 2: 15 + 10 + 6 = 31
    assert 'data-testid="fresh"' in html
    assert html.index(f'result-row-{units[2].id}') < html.index(f'result-row-{units[0].id}') \
        < html.index(f'result-row-{units[1].id}')
    assert f'data-testid="total-{units[2].id}">31' in html
    status = client.get(f"/admin/results/{c.id}/status.json").get_json()
    assert status["stale"] is False and status["computed_at"]


def test_stale_campaign_refuses_publish(app, client, factory):
    admin = factory.user("admin")
    c, *_ = _campaign(factory)
    recompute.recompute_provisional(c.id)
    mark_stale(c.id)
    db.session.commit()
    client.login(admin.username)
    html = client.get(f"/admin/results/{c.id}").get_data(as_text=True)
    assert 'data-testid="stale"' in html
    resp = client.submit(f"/admin/results/{c.id}/publish", {"label": "Đợt 1"}, page=f"/admin/results/{c.id}",
                         follow_redirects=True)
    assert "chưa cập nhật" in resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ScoreRun)
                             .where(ScoreRun.kind == "snapshot")) == 0


def test_publish_freezes_an_immutable_snapshot(app, client, factory):
    """Broker down in this test (no worker): publish falls back to inline and still succeeds."""
    admin = factory.user("admin")
    c, doc, units, entries = _campaign(factory)
    recompute.recompute_provisional(c.id)
    client.login(admin.username)
    client.submit(f"/admin/results/{c.id}/publish", {"label": "Tổng kết 2025", "confirmed": "1"},
                  page=f"/admin/results/{c.id}")
    # The task is queued (Redis is up) – run what the worker would run.
    db.session.expire_all()
    snap_id = db.session.scalar(sa.select(ScoreRun.id).where(ScoreRun.kind == "snapshot"))
    if snap_id is None:
        snap_id = recompute.publish(c.id, user_id=admin.id, label="Tổng kết 2025")
    snap = db.session.get(ScoreRun, snap_id)
    assert snap.published_at and snap.published_by_id == admin.id
    assert snap.inputs_digest == recompute.provisional_run(c.id).inputs_digest
    frozen = {r.unit_id: r.total for r in db.session.scalars(sa.select(UnitResult).where(UnitResult.run_id == snap_id))}
    assert frozen == {units[0].id: 25.0, units[1].id: 3.0, units[2].id: 31.0}
    assert db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "results.publish"))
    # A later change + recompute moves the provisional result but not the snapshot.
    save_values(entries[1], doc, {"I.2": 50.0})
    mark_stale(c.id)
    db.session.commit()
    recompute.recompute_provisional(c.id)
    prov = {r.unit_id: r.total for r in db.session.scalars(
        sa.select(UnitResult).where(UnitResult.run_id == recompute.provisional_run(c.id).id))}
    assert prov[units[1].id] == 18.0
    again = {r.unit_id: r.total for r in db.session.scalars(sa.select(UnitResult).where(UnitResult.run_id == snap_id))}
    assert again == frozen
    # The next publish records the previous snapshot.
    second = recompute.publish(c.id, user_id=admin.id)
    assert db.session.get(ScoreRun, second).previous_snapshot_id == snap_id


def test_what_if_changes_ranks_without_touching_results(app, client, factory):
    admin = factory.user("admin")
    c, doc, units, entries = _campaign(factory, n=2)
    j1, j2, j3 = (factory.user("judge") for _ in range(3))
    # unit 0 judges II.3: 10, 0, 1 → mean 3.6667, median 1; unit 1: 0, 0, 0 → 0 either way.
    for j, (a, b) in zip((j1, j2, j3), ((10.0, 0.0), (0.0, 0.0), (1.0, 0.0)), strict=True):
        judge(entries[0], j, {"II.3": a})
        judge(entries[1], j, {"II.3": b})
    # unit 1: I.2 → 15, I.3 yes → 10, II.1 1 item → 3, II.3 → 0: 28.
    # unit 0: 25 + 11/3 = 28.67 shown to two decimals (mean, rank 1) or 25 + 1 = 26 (median, rank 2).
    save_values(entries[1], doc, {"I.2": 12.0, "I.3": True})
    db.session.commit()
    recompute.recompute_provisional(c.id, force=True)
    recompute.publish(c.id, user_id=admin.id)
    before = [(r.run_id, r.unit_id, r.total, r.rank) for r in db.session.scalars(sa.select(UnitResult).order_by(UnitResult.id))]
    res = recompute.what_if(c.id, {"aggregation": "median"})
    by_unit = {r["unit_id"]: r for r in res["rows"]}
    assert by_unit[units[0].id]["total"] == 26.0 and by_unit[units[0].id]["current_total"] == 28.67
    assert by_unit[units[1].id]["rank"] == 1 and by_unit[units[1].id]["current_rank"] == 2
    assert res["moved"] == 2
    client.login(admin.username)
    html = client.get(f"/admin/results/{c.id}/whatif?aggregation=median").get_data(as_text=True)
    assert 'data-testid="whatif-moved"' in html and "<strong>2</strong>" in html
    after = [(r.run_id, r.unit_id, r.total, r.rank) for r in db.session.scalars(sa.select(UnitResult).order_by(UnitResult.id))]
    assert after == before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ScoreRun).where(ScoreRun.kind == "whatif")) == 0


def test_explanation_page_and_json(app, client, factory):
    admin = factory.user("admin")
    c, _doc, units, _e = _campaign(factory)
    recompute.recompute_provisional(c.id)
    run = recompute.provisional_run(c.id)
    client.login(admin.username)
    data = client.get(f"/admin/results/{c.id}/runs/{run.id}/units/{units[2].id}?format=json").get_json()
    inds = {i["code"]: i for i in data["indicators"]}
    assert inds["II.1"]["points"] == 6.0 and inds["II.1"]["rule"]["per_item"] == 3
    assert data["stored"]["rank"]["rank"] == 1 and data["total"] == 31.0
    html = client.get(f"/admin/results/{c.id}/runs/{run.id}/units/{units[2].id}").get_data(as_text=True)
    assert 'data-testid="explain-total">31' in html


def test_export_csv_and_xlsx(app, client, factory):
    admin = factory.user("admin")
    c, _doc, units, _e = _campaign(factory)
    recompute.recompute_provisional(c.id)
    client.login(admin.username)
    resp = client.get(f"/admin/results/{c.id}/export?format=csv")
    text = resp.get_data().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:2] == ["Cấp", "Hạng"]
    assert [r[5] for r in rows[1:]] == ["Quận Thử 2", "Quận Thử 0", "Quận Thử 1"]
    resp = client.get(f"/admin/results/{c.id}/export?format=xlsx")
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(resp.get_data()))
    ws = wb.active
    assert ws.cell(2, 8).value == 31.0


def test_officer_and_anonymous_are_refused(app, client, factory):
    c, *_ = _campaign(factory)
    unit = factory.unit()
    officer = factory.user("officer", unit=unit)
    assert client.get(f"/admin/results/{c.id}").status_code in (302, 401, 403)
    client.login(officer.username)
    assert client.get(f"/admin/results/{c.id}").status_code == 403


def test_commands(app, factory, tmp_path):
    c, *_ = _campaign(factory)
    runner = app.test_cli_runner()
    out = runner.invoke(args=["recompute", str(c.id)])
    assert "written units=3" in out.output, out.output
    out = runner.invoke(args=["publish", c.slug])
    assert "published run" in out.output, out.output
    path = tmp_path / "r.csv"
    out = runner.invoke(args=["export-results", c.slug, "--format", "csv", "-o", str(path)])
    assert out.exit_code == 0, (out.output, out.exception)
    assert path.read_bytes().decode("utf-8-sig").count("\n") == 4
    mark_stale(c.id)
    db.session.commit()
    out = runner.invoke(args=["recompute-all"])
    assert f"campaign {c.id}: written" in out.output or f"campaign {c.id}: unchanged" in out.output
    db.session.expire_all()
    assert not db.session.get(Campaign, c.id).is_stale
