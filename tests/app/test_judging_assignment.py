"""Panel, automatic/manual assignment and conflicts of interest through the admin pages."""
from __future__ import annotations

from collections import Counter

import sqlalchemy as sa

from campaign.extensions import db
from campaign.models import Assignment, AuditLog, Cluster, ClusterMember, ConflictDeclaration, PanelMember
from campaign.services.judging import conflicts
from tests.judging_helpers import add_panel, district_campaign


def test_admin_assigns_three_judges_to_thirty_districts_in_one_action(client, factory):
    factory.user("admin", username="boss")
    campaign, districts, entries = district_campaign(factory, n_entries=30)
    agency = factory.unit("agency", name="Sở Nội vụ")
    # one judge works for district 0: never on district 0's entry (own unit)
    judges = [factory.user("judge", username=f"gk{i}", unit=u) for i, u in
              enumerate([None, agency, districts[0], None, None])]
    db.session.commit()
    client.login("boss")
    panel_url = f"/judging/admin/campaigns/{campaign.id}/panel"
    for j in judges:
        resp = client.submit(panel_url + "/add", {"judge_id": j.id, "max_load": ""}, page=panel_url)
        assert resp.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PanelMember)) == 5

    # the dry run shows the plan and saves nothing
    preview = client.get(f"/judging/admin/campaigns/{campaign.id}/assignments?preview=1").get_data(as_text=True)
    assert 'data-testid="preview"' in preview and "90" in preview
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Assignment)) == 0

    resp = client.submit(f"/judging/admin/campaigns/{campaign.id}/assignments/auto",
                         page=f"/judging/admin/campaigns/{campaign.id}/assignments")
    assert resp.status_code == 302
    rows = db.session.execute(sa.select(Assignment.entry_id, Assignment.judge_id)).all()
    per_entry = Counter(e for e, _ in rows)
    assert len(rows) == 90 and set(per_entry.values()) == {3} and len(per_entry) == 30
    loads = Counter(j for _, j in rows)
    assert sorted(loads.values()) == [18, 18, 18, 18, 18]
    assert (entries[0].id, judges[2].id) not in set(rows)  # own unit never
    assert not any(conflicts.conflict_reasons(j, e) for e, j in rows)
    assert db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "judging.auto_assign")).after["created"] == 90
    # running it again creates nothing new (idempotent)
    client.submit(f"/judging/admin/campaigns/{campaign.id}/assignments/auto",
                  page=f"/judging/admin/campaigns/{campaign.id}/assignments")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Assignment)) == 90


def test_hierarchy_cluster_and_declared_conflicts(app, factory):
    city = factory.unit("city", name="Thành phố")
    district = factory.unit("urban_district", parent=city)
    other = factory.unit("urban_district", parent=city)
    ward = factory.unit("ward", parent=district)
    neighbour = factory.unit("urban_district", parent=city)
    campaign = factory.campaign(units=[city, district, other, ward, neighbour], settings={"coi_same_cluster": True})
    cl = Cluster(code="C1", name="Cụm 1")
    db.session.add(cl)
    db.session.flush()
    db.session.add_all([ClusterMember(cluster_id=cl.id, unit_id=district.id),
                        ClusterMember(cluster_id=cl.id, unit_id=neighbour.id)])
    e_city, e_district, e_other, e_ward, e_neighbour = (
        factory.entry(campaign, u, status="submitted") for u in (city, district, other, ward, neighbour))
    judge = factory.user("judge", unit=district)
    db.session.add(ConflictDeclaration(judge_id=judge.id, unit_id=other.id, reason="Vợ công tác tại đây"))
    db.session.flush()
    assert conflicts.conflict_reasons(judge.id, e_district.id) == ["own_unit"]
    assert conflicts.conflict_reasons(judge.id, e_city.id) == ["parent_unit"]
    assert conflicts.conflict_reasons(judge.id, e_ward.id) == ["child_unit"]
    assert conflicts.conflict_reasons(judge.id, e_neighbour.id) == ["same_cluster"]
    assert conflicts.conflict_reasons(judge.id, e_other.id) == ["declared"]
    campaign.settings = {}
    db.session.flush()
    assert conflicts.conflict_reasons(judge.id, e_neighbour.id) == []


def test_manual_assignment_refuses_conflicts_and_reciprocity(client, factory):
    factory.user("admin", username="boss")
    city = factory.unit("city")
    a, b = factory.unit("urban_district", parent=city), factory.unit("urban_district", parent=city)
    campaign = factory.campaign(units=[a, b], settings={"forbid_reciprocal": True})
    cl = Cluster(code="C", name="Cụm", campaign_id=campaign.id)
    db.session.add(cl)
    db.session.flush()
    db.session.add_all([ClusterMember(cluster_id=cl.id, unit_id=a.id), ClusterMember(cluster_id=cl.id, unit_id=b.id)])
    ea, eb = factory.entry(campaign, a, status="submitted"), factory.entry(campaign, b, status="submitted")
    ja, jb = factory.user("judge", unit=a, username="ja"), factory.user("judge", unit=b, username="jb")
    add_panel(campaign, [ja, jb])
    db.session.commit()
    client.login("boss")
    url = f"/judging/admin/campaigns/{campaign.id}/assignments/manual"
    page = f"/judging/admin/campaigns/{campaign.id}/assignments"
    # own unit: refused with the reason
    resp = client.submit(url, {"entry_id": ea.id, "judge_id": ja.id}, page=page)
    assert resp.status_code == 409 and "Đơn vị của giám khảo" in resp.get_data(as_text=True)
    assert client.submit(url, {"entry_id": eb.id, "judge_id": ja.id}, page=page).status_code == 302
    # the reverse direction would be reciprocal judging inside the cluster
    resp = client.submit(url, {"entry_id": ea.id, "judge_id": jb.id}, page=page)
    assert resp.status_code == 409 and "Chấm chéo hai chiều" in resp.get_data(as_text=True)
    assert db.session.scalars(sa.select(Assignment.judge_id)).all() == [ja.id]


def test_reassign_moves_assignment_and_audits(client, factory):
    factory.user("admin", username="boss")
    campaign, districts, entries = district_campaign(factory, n_entries=1)
    j1, j2 = factory.user("judge", username="j1"), factory.user("judge", username="j2")
    add_panel(campaign, [j1, j2])
    a = Assignment(entry_id=entries[0].id, judge_id=j1.id)
    db.session.add(a)
    db.session.commit()
    client.login("boss")
    resp = client.submit(f"/judging/admin/assignments/{a.id}/reassign", {"judge_id": j2.id, "reason": "ốm"},
                         page=f"/judging/admin/campaigns/{campaign.id}/assignments")
    assert resp.status_code == 302
    assert db.session.scalars(sa.select(Assignment.judge_id)).all() == [j2.id]
    actions = db.session.scalars(sa.select(AuditLog.action).order_by(AuditLog.id)).all()
    assert "judging.unassign" in actions and "judging.assign" in actions


def test_judge_cannot_reach_admin_pages(client, factory):
    campaign, _d, _e = district_campaign(factory, n_entries=1)
    factory.user("judge", username="gk")
    db.session.commit()
    client.login("gk")
    assert client.get(f"/judging/admin/campaigns/{campaign.id}/panel").status_code == 403
    assert client.get(f"/judging/admin/campaigns/{campaign.id}/council").status_code == 403


def test_dry_run_reports_infeasible_entries_clearly(client, factory):
    factory.user("admin", username="boss")
    campaign, districts, entries = district_campaign(factory, n_entries=2, settings={"judges_per_entry": 2})
    # both judges work for district 0: nobody may judge it; district 1 gets both
    judges = [factory.user("judge", username=f"gk{i}", unit=districts[0]) for i in range(2)]
    add_panel(campaign, judges)
    db.session.commit()
    client.login("boss")
    body = client.get(f"/judging/admin/campaigns/{campaign.id}/assignments?preview=1").get_data(as_text=True)
    assert body.count('data-testid="shortfall"') == 1
    assert "Quận Thử 00" in body and "chỉ có 0 giám khảo không xung đột, cần 2" in body
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Assignment)) == 0


def test_assign_judges_command(app, factory):
    campaign, districts, entries = district_campaign(factory, n_entries=4)
    judges = [factory.user("judge", username=f"gk{i}") for i in range(3)]
    add_panel(campaign, judges)
    db.session.commit()
    runner = app.test_cli_runner()
    out = runner.invoke(args=["assign-judges", campaign.slug, "--dry-run"])
    assert out.exit_code == 0 and "would create 12 assignments" in out.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Assignment)) == 0
    out = runner.invoke(args=["assign-judges", campaign.slug])
    assert out.exit_code == 0 and "created 12 assignments" in out.output
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Assignment)) == 12
