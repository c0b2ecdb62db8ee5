"""Conflicts of interest across the 2025 reform: a unit formed from the judge's unit, or from units that were
under it, is a conflict like the unit itself (automatic and manual assignment, the assignment table, the
judge's own access); a judge whose work unit has closed is shown so on the panel; a refused manual
assignment comes back to the assignment page with the reason beside the form and the choice kept."""
from __future__ import annotations

import re
from datetime import date

import sqlalchemy as sa
from flask import current_app

from campaign.extensions import db
from campaign.models import Assignment, JudgeScore, UnitLineage
from campaign.services.judging import assignment as assignment_svc
from campaign.services.judging import conflicts
from tests.conftest import Client
from tests.judging_helpers import add_panel, node_ids, set_values

REFORM = date(2025, 7, 1)


def _link(successor, predecessor, event="merger", effective=REFORM):
    db.session.add(UnitLineage(successor_id=successor.id, predecessor_id=predecessor.id, event=event,
                               effective=effective, source="test"))


def reform(factory):
    """Hà Nội before and after 1 July 2025 (names as in the demo, structure worked out by hand):

    Quận Hoàn Kiếm (closed) had Phường Hàng Bài and Phường Tràng Tiền; Quận Hai Bà Trưng (closed) had
    Phường Phạm Đình Hổ. Phường Hàng Bài was renamed once (Phường Hàng Bài cũ → Phường Hàng Bài, 2019).
    From 1 July 2025, under the city directly:
    * Phường Cửa Nam = Phường Hàng Bài (merger) + part of Phường Phạm Đình Hổ (split);
    * Phường Hai Bà Trưng = the rest of Phường Phạm Đình Hổ (split): nothing of Hoàn Kiếm;
    * Phường Hoàn Kiếm = Phường Tràng Tiền (merger).
    """
    city = factory.unit("city", name="Thành phố Hà Nội", code="01")
    hk = factory.unit("urban_district", parent=city, name="Quận Hoàn Kiếm", code="002", valid_to=REFORM)
    hbt = factory.unit("urban_district", parent=city, name="Quận Hai Bà Trưng", code="007", valid_to=REFORM)
    hang_bai_old = factory.unit("ward", parent=hk, name="Phường Hàng Bài cũ", code="00070",
                                valid_to=date(2019, 1, 1))
    hang_bai = factory.unit("ward", parent=hk, name="Phường Hàng Bài", code="00071", valid_to=REFORM)
    trang_tien = factory.unit("ward", parent=hk, name="Phường Tràng Tiền", code="00072", valid_to=REFORM)
    pham_dinh_ho = factory.unit("ward", parent=hbt, name="Phường Phạm Đình Hổ", code="00250", valid_to=REFORM)
    cua_nam = factory.unit("ward", parent=city, name="Phường Cửa Nam", code="00082", valid_from=REFORM)
    hai_ba_trung = factory.unit("ward", parent=city, name="Phường Hai Bà Trưng", code="00256", valid_from=REFORM)
    hoan_kiem = factory.unit("ward", parent=city, name="Phường Hoàn Kiếm", code="00070", valid_from=REFORM)
    _link(hang_bai, hang_bai_old, event="rename", effective=date(2019, 1, 1))
    _link(cua_nam, hang_bai)
    _link(cua_nam, pham_dinh_ho, event="split")
    _link(hai_ba_trung, pham_dinh_ho, event="split")
    _link(hoan_kiem, trang_tien)
    db.session.flush()
    return {"city": city, "hk": hk, "hbt": hbt, "hang_bai_old": hang_bai_old, "hang_bai": hang_bai,
            "trang_tien": trang_tien, "pham_dinh_ho": pham_dinh_ho, "cua_nam": cua_nam,
            "hai_ba_trung": hai_ba_trung, "hoan_kiem": hoan_kiem}


def two_tier_campaign(factory, u, settings=None):
    new = [u["cua_nam"], u["hai_ba_trung"], u["hoan_kiem"]]
    campaign = factory.campaign(units=new, status="appraisal", settings=settings or {"judges_per_entry": 1},
                                name="Dân vận khéo 2026")
    entries = {}
    for unit in new:
        e = factory.entry(campaign, unit, status="submitted")
        set_values(e, campaign)
        entries[unit.name] = e
    return campaign, entries


def labels(judge, entry) -> list[str]:
    with current_app.test_request_context():  # the reasons as the pages word them
        return [conflicts.reason_label(r) for r in conflicts.conflict_reasons(judge.id, entry.id)]


def test_a_closed_districts_judge_never_scores_wards_formed_from_its_wards(app, factory):
    u = reform(factory)
    campaign, entries = two_tier_campaign(factory, u)
    dung = factory.user("judge", unit=u["hk"], username="dung", full_name="Phạm Quốc Dũng")
    db.session.flush()
    # Cửa Nam took Hàng Bài, a ward of Hoàn Kiếm; Phường Hoàn Kiếm took Tràng Tiền; Hai Bà Trưng nothing of it
    assert labels(dung, entries["Phường Cửa Nam"]) == [
        "Hình thành từ đơn vị trực thuộc của giám khảo (sắp xếp đơn vị hành chính)"]
    assert labels(dung, entries["Phường Hoàn Kiếm"]) == [
        "Hình thành từ đơn vị trực thuộc của giám khảo (sắp xếp đơn vị hành chính)"]
    assert labels(dung, entries["Phường Hai Bà Trưng"]) == []
    # the campaign-wide view (the planner's and the assignment table's) says the same
    info = conflicts.campaign_conflicts(campaign.id, [dung.id])
    assert set(info.pairs) == {(dung.id, entries["Phường Cửa Nam"].id), (dung.id, entries["Phường Hoàn Kiếm"].id)}

    # a judge of an old ward: the new ward formed from it (through a rename before the reform too)
    old_ward_judge = factory.user("judge", unit=u["hang_bai_old"], username="hangbai")
    assert labels(old_ward_judge, entries["Phường Cửa Nam"]) == [
        "Hình thành từ đơn vị của giám khảo (sắp xếp đơn vị hành chính)"]
    assert labels(old_ward_judge, entries["Phường Hoàn Kiếm"]) == []


def test_a_new_wards_judge_never_scores_its_old_ward_or_old_district(app, factory):
    u = reform(factory)
    old = factory.campaign(units=[u["hk"], u["hbt"], u["hang_bai"], u["trang_tien"]], status="appraisal")
    e = {unit.name: factory.entry(old, unit, status="submitted")
         for unit in (u["hk"], u["hbt"], u["hang_bai"], u["trang_tien"])}
    judge = factory.user("judge", unit=u["cua_nam"], username="cuanam")
    db.session.flush()
    assert labels(judge, e["Phường Hàng Bài"]) == ["Đơn vị tiền thân của đơn vị giám khảo (sắp xếp đơn vị hành chính)"]
    assert labels(judge, e["Quận Hoàn Kiếm"]) == ["Đơn vị cấp trên cũ của đơn vị giám khảo (sắp xếp đơn vị hành chính)"]
    # part of Phạm Đình Hổ went into Cửa Nam: Hai Bà Trưng was its district
    assert labels(judge, e["Quận Hai Bà Trưng"]) == [
        "Đơn vị cấp trên cũ của đơn vị giám khảo (sắp xếp đơn vị hành chính)"]
    assert labels(judge, e["Phường Tràng Tiền"]) == []


def test_automatic_assignment_follows_the_lineage(app, factory):
    u = reform(factory)
    campaign, entries = two_tier_campaign(factory, u, settings={"judges_per_entry": 1})
    dung = factory.user("judge", unit=u["hk"], username="dung", full_name="Phạm Quốc Dũng")
    lan = factory.user("judge", username="lan", full_name="Vũ Thị Lan")
    add_panel(campaign, [dung, lan])
    db.session.commit()
    plan = assignment_svc.apply_auto(campaign.id)
    assert not plan.shortfalls
    got = {(e, j) for e, j in db.session.execute(sa.select(Assignment.entry_id, Assignment.judge_id))}
    # one judge each; Dũng may only take Hai Bà Trưng, so Lan takes Cửa Nam and Hoàn Kiếm
    assert (entries["Phường Cửa Nam"].id, lan.id) in got
    assert (entries["Phường Hoàn Kiếm"].id, lan.id) in got
    assert not any(j == dung.id and e != entries["Phường Hai Bà Trưng"].id for e, j in got)


def test_panel_says_when_a_judges_work_unit_has_closed(client, factory):
    factory.user("admin", username="boss")
    u = reform(factory)
    campaign, _entries = two_tier_campaign(factory, u)
    dung = factory.user("judge", unit=u["hk"], username="dung", full_name="Phạm Quốc Dũng")
    lan = factory.user("judge", unit=u["cua_nam"], username="lan", full_name="Vũ Thị Lan")
    add_panel(campaign, [dung, lan])
    db.session.commit()
    client.login("boss")
    html = client.get(f"/judging/admin/campaigns/{campaign.id}/panel").get_data(as_text=True)
    row = re.search(r'data-testid="member-dung".*?</tr>', html, re.S).group(0)
    assert re.sub(r"<[^>]+>", "", row).count("Quận Hoàn Kiếm (ngừng hoạt động từ 01/07/2025)") == 1
    row = re.search(r'data-testid="member-lan".*?</tr>', html, re.S).group(0)
    assert "Phường Cửa Nam" in row and "ngừng hoạt động" not in row


def test_assignment_table_flags_an_assignment_made_before_across_the_reform(app, client, factory):
    factory.user("admin", username="boss")
    u = reform(factory)
    campaign, entries = two_tier_campaign(factory, u)
    dung = factory.user("judge", unit=u["hk"], username="dung", full_name="Phạm Quốc Dũng")
    add_panel(campaign, [dung])
    db.session.add(Assignment(entry_id=entries["Phường Cửa Nam"].id, judge_id=dung.id))
    db.session.commit()
    client.login("boss")
    html = client.get(f"/judging/admin/campaigns/{campaign.id}/assignments").get_data(as_text=True)
    row = re.search(rf'data-testid="entry-{entries["Phường Cửa Nam"].id}".*?</tr>', html, re.S).group(0)
    assert "Xung đột: Hình thành từ đơn vị trực thuộc của giám khảo" in row
    # and the judge can no longer open it
    judge_client = Client(app.test_client())
    judge_client.login("dung")
    assert judge_client.get("/judging/").status_code == 200
    resp = judge_client.get(f"/judging/entries/{entries['Phường Cửa Nam'].id}")
    assert resp.status_code == 403 and "Hình thành từ đơn vị trực thuộc của giám khảo" in resp.get_data(as_text=True)


def _selected(html: str, select_id: str) -> str:
    select = re.search(rf'<select id="{select_id}".*?</select>', html, re.S).group(0)
    return re.search(r"<option [^>]*selected[^>]*>([^<]*)</option>", select).group(1)


def test_refused_manual_assignment_shows_the_page_again_with_the_reason_and_the_choice(client, factory):
    factory.user("admin", username="boss")
    u = reform(factory)
    campaign, entries = two_tier_campaign(factory, u)
    dung = factory.user("judge", unit=u["hk"], username="dung", full_name="Phạm Quốc Dũng")
    lan = factory.user("judge", username="lan", full_name="Vũ Thị Lan")
    add_panel(campaign, [lan, dung])
    db.session.commit()
    client.login("boss")
    page = f"/judging/admin/campaigns/{campaign.id}/assignments"
    resp = client.submit(page + "/manual", {"entry_id": entries["Phường Cửa Nam"].id, "judge_id": dung.id}, page=page)
    assert resp.status_code == 409
    html = resp.get_data(as_text=True)
    assert 'data-testid="assignment-table"' in html  # the assignments page, not an error page
    error = re.search(r'data-testid="manual-error">([^<]*)<', html).group(1)
    assert error == ("Không thể phân công Phạm Quốc Dũng (Quận Hoàn Kiếm) chấm hồ sơ của Phường Cửa Nam: "
                     "Hình thành từ đơn vị trực thuộc của giám khảo (sắp xếp đơn vị hành chính).")
    # beside the manual form, with what was chosen still chosen
    form = re.search(r'data-testid="manual-form".*?</form>', html, re.S).group(0)
    assert 'data-testid="manual-error"' in form
    assert _selected(html, "m-entry") == "Phường Cửa Nam" and _selected(html, "m-judge") == "Phạm Quốc Dũng"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Assignment)) == 0
    # the allowed choice still goes through
    resp = client.submit(page + "/manual", {"entry_id": entries["Phường Hai Bà Trưng"].id, "judge_id": dung.id},
                         page=page)
    assert resp.status_code == 302
    assert db.session.scalars(sa.select(Assignment.judge_id)).all() == [dung.id]


def test_refused_manual_assignment_in_a_two_level_campaign_keeps_the_form_too(client, factory):
    factory.user("admin", username="boss")
    city = factory.unit("city", name="Thành phố Hà Nội")
    district = factory.unit("urban_district", parent=city, name="Quận Ba Đình")
    ward = factory.unit("ward", parent=district, name="Phường Trúc Bạch")
    campaign = factory.campaign(units=[ward], status="appraisal", settings={"judges_per_entry": 1})
    entry = factory.entry(campaign, ward, status="submitted")
    judge = factory.user("judge", unit=district, username="chau", full_name="Hoàng Minh Châu")
    add_panel(campaign, [judge])
    db.session.commit()
    client.login("boss")
    page = f"/judging/admin/campaigns/{campaign.id}/assignments"
    resp = client.submit(page + "/manual", {"entry_id": entry.id, "judge_id": judge.id}, page=page)
    assert resp.status_code == 409
    html = resp.get_data(as_text=True)
    assert re.search(r'data-testid="manual-error">([^<]*)<', html).group(1) == (
        "Không thể phân công Hoàng Minh Châu (Quận Ba Đình) chấm hồ sơ của Phường Trúc Bạch: "
        "Đơn vị trực thuộc của giám khảo.")
    assert _selected(html, "m-judge") == "Hoàng Minh Châu"


def test_refused_move_or_removal_shows_the_page_again_beside_that_assignment(client, factory):
    factory.user("admin", username="boss")
    u = reform(factory)
    campaign, entries = two_tier_campaign(factory, u)
    dung = factory.user("judge", unit=u["hk"], username="dung", full_name="Phạm Quốc Dũng")
    lan = factory.user("judge", username="lan", full_name="Vũ Thị Lan")
    add_panel(campaign, [lan, dung])
    a = Assignment(entry_id=entries["Phường Cửa Nam"].id, judge_id=lan.id, status="submitted")
    db.session.add(a)
    db.session.flush()
    db.session.add(JudgeScore(assignment_id=a.id, indicator_id=node_ids(campaign)["II.1"], points=25))
    db.session.commit()
    client.login("boss")
    page = f"/judging/admin/campaigns/{campaign.id}/assignments"
    resp = client.submit(f"/judging/admin/assignments/{a.id}/reassign", {"judge_id": dung.id, "reason": "Chị Lan ốm"},
                         page=page)
    assert resp.status_code == 409
    html = resp.get_data(as_text=True)
    row = re.search(rf'data-testid="entry-{entries["Phường Cửa Nam"].id}".*?</tr>', html, re.S).group(0)
    assert "<details open>" in row
    assert re.search(r'data-testid="reassign-error">([^<]*)<', row).group(1) == (
        "Không thể phân công Phạm Quốc Dũng (Quận Hoàn Kiếm) chấm hồ sơ của Phường Cửa Nam: "
        "Hình thành từ đơn vị trực thuộc của giám khảo (sắp xếp đơn vị hành chính).")
    assert _selected(row, f"reassign-{a.id}") == "Phạm Quốc Dũng"
    assert f'id="reassign-reason-{a.id}" name="reason" value="Chị Lan ốm"' in row
    assert db.session.scalars(sa.select(Assignment.judge_id)).all() == [lan.id]  # nothing moved

    # removing a scored assignment without a reason: said beside the removal form, nothing removed
    resp = client.submit(f"/judging/admin/assignments/{a.id}/remove", {"reason": ""}, page=page)
    assert resp.status_code == 400
    assert re.search(r'data-testid="unassign-error">([^<]*)<', resp.get_data(as_text=True)).group(1) == (
        "Cần nêu lý do khi gỡ phân công đã có điểm.")
    assert db.session.scalars(sa.select(Assignment.judge_id)).all() == [lan.id]
