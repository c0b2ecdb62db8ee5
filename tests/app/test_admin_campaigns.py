"""Campaign set-up in the browser: create from a template, validation, participants, clone, archive,
deadline extensions and the framework editor's versioning rule."""
from __future__ import annotations

import re
from datetime import date, datetime

import pytest
import sqlalchemy as sa

from campaign.extensions import db
from campaign.models import AuditLog, Campaign, CampaignUnit, Cluster, ClusterMember, DeadlineExtension, FrameworkVersion
from campaign.services.errors import Conflict, DomainError
from campaign.services.setup import campaigns as svc
from campaign.services.setup import framework_io
from campaign.services.submissions.entries import effective_deadline
from tests.admin_helpers import admin_client, form_as_sent, ready_campaign, request_ctx  # noqa: F401


def _form(**over) -> dict:
    data = {
        "name": "Năm Dân vận chính quyền 2018", "name_en": "Mass Mobilization Year 2018", "kind": "thematic",
        "description": "Thi đua cấp huyện", "period_start": "2018-01-01", "period_end": "2018-12-31",
        "submission_deadline": "2030-11-30T17:00", "appraisal_deadline": "2030-12-20T17:00",
        "results_public": "y", "template_code": "mass-mobilization-2018", "levels": ["2"],
        "judges_per_entry": "3", "aggregation": "trimmed_mean", "trim_min_judges": "3",
        "tie_breaks-0": "group:I", "tie_breaks-1": "fewer_penalty", "award_quota_pct": "20", "top_per_cluster": "1",
        "rollup_kind": "none",
        "bands-0-code": "xuat_sac", "bands-0-label_vi": "Xuất sắc", "bands-0-min_total": "900", "bands-0-floor_pct": "85",
        "bands-1-code": "tot", "bands-1-label_vi": "Tốt", "bands-1-min_total": "800", "bands-1-floor_pct": "80",
        "bands-2-code": "hoan_thanh", "bands-2-label_vi": "Hoàn thành", "bands-2-min_total": "700", "bands-2-floor_pct": "70",
        "bands-3-code": "khong", "bands-3-label_vi": "Không hoàn thành", "bands-3-min_total": "0",
    }
    data.update(over)
    return data


def _districts(factory, n=3):
    city = factory.unit("city", code="01", name="Thành phố Hà Nội")
    ds = [factory.unit("urban_district", parent=city) for _ in range(n)]
    wards = [factory.unit("ward", parent=ds[0]) for _ in range(2)]
    return city, ds, wards


def test_create_from_template_in_browser(client, factory):
    admin_client(client, factory)
    _city, ds, wards = _districts(factory)
    r = client.submit("/admin/campaigns/new", _form())
    assert r.status_code == 302, r.get_data(as_text=True)[:3000]
    c = db.session.scalar(sa.select(Campaign))
    assert (c.status, c.kind, c.name_en) == ("draft", "thematic", "Mass Mobilization Year 2018")
    assert c.framework_version.framework.code == "mass-mobilization-2018" and c.framework_version.scale == 950
    assert c.submission_deadline == datetime(2030, 11, 30, 10, 0)  # 17:00 Hà Nội = 10:00 UTC
    assert c.settings["tie_breaks"] == ["group:I", "fewer_penalty"]
    assert [b["min_total"] for b in c.settings["bands"]] == [900, 800, 700, 0]
    assert c.settings["bands"][0]["floor_pct"] == 85 and c.settings["award_quota_pct"] == 20
    members = set(db.session.scalars(sa.select(CampaignUnit.unit_id).where(CampaignUnit.campaign_id == c.id)))
    assert members == {d.id for d in ds}  # level 2 only, wards not included
    assert db.session.scalar(sa.select(AuditLog.action).where(AuditLog.campaign_id == c.id)) == "campaign.create"


def test_invalid_form_keeps_input_and_marks_fields(client, factory):
    admin_client(client, factory)
    r = client.submit("/admin/campaigns/new", _form(name="", period_end="2017-01-01", template_code="",
                                                      **{"bands-1-min_total": "900"}))
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    assert 'data-testid="error-name"' in html and 'data-testid="error-template_code"' in html
    assert "Mass Mobilization Year 2018" in html  # nothing typed is lost
    r = client.submit("/admin/campaigns/new", _form(period_end="2017-01-01", **{"bands-1-min_total": "900"}))
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and "Ngày kết thúc phải sau ngày bắt đầu" in html
    assert "cùng điểm tối thiểu" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Campaign)) == 0


def test_unknown_unit_codes_are_refused(client, factory):
    admin_client(client, factory)
    r = client.submit("/admin/campaigns/new", _form(levels=[], unit_codes="404\n405"))
    assert r.status_code == 400 and "404, 405" in r.get_data(as_text=True)


@pytest.mark.usefixtures("request_ctx")
def test_participants_by_kind_cluster_and_code_with_ranking_cluster(factory):
    _city, ds, wards = _districts(factory)
    rural = factory.unit("rural_district")
    cluster = Cluster(code="CUM-A", name="Cụm A")
    db.session.add(cluster)
    db.session.flush()
    db.session.add_all([ClusterMember(cluster_id=cluster.id, unit_id=ds[1].id),
                        ClusterMember(cluster_id=cluster.id, unit_id=rural.id)])
    db.session.commit()
    c = svc.create_campaign({"name": "Thử", "kind": "regular", "template_code": "ntm-2016",
                             "participants": {"kinds": ["ward"], "cluster_ids": [cluster.id], "unit_codes": [ds[2].code]},
                             "ranking_cluster_ids": [cluster.id]})
    rows = dict(db.session.execute(sa.select(CampaignUnit.unit_id, CampaignUnit.cluster_id)
                                   .where(CampaignUnit.campaign_id == c.id)).all())
    assert rows == {wards[0].id: None, wards[1].id: None, ds[1].id: cluster.id, rural.id: cluster.id, ds[2].id: None}


@pytest.mark.usefixtures("request_ctx")
def test_inactive_units_are_not_selected(factory):
    from datetime import date

    _city, ds, _w = _districts(factory)
    ds[0].valid_to = date(2020, 1, 1)
    db.session.commit()
    assert {u.id for u in svc.resolve_participants({"levels": [2]})} == {ds[1].id, ds[2].id}


@pytest.mark.usefixtures("request_ctx")
def test_cannot_remove_participant_with_entry(factory):
    c, units = ready_campaign(factory, status="open")
    c.settings = {**svc.default_settings(), "participants": {"unit_codes": [u.code for u in units]}}
    factory.entry(c, units[0])
    db.session.commit()
    with pytest.raises(Conflict, match=units[0].name):
        svc.update_campaign(c.id, {"participants": {"unit_codes": [units[1].code]}})


@pytest.mark.usefixtures("request_ctx")
def test_settings_change_marks_results_stale(factory):
    c, units = ready_campaign(factory, status="open")
    c.settings = svc.default_settings()
    db.session.commit()
    before = c.inputs_version
    svc.update_campaign(c.id, {"settings": {"aggregation": "median"}})
    assert db.session.get(Campaign, c.id).inputs_version == before + 1
    svc.update_campaign(c.id, {"description": "chỉ sửa mô tả"})
    assert db.session.get(Campaign, c.id).inputs_version == before + 1


def test_edit_in_browser_prefills_and_saves(client, factory):
    admin_client(client, factory)
    _city, ds, _w = _districts(factory)
    client.submit("/admin/campaigns/new", _form())
    c = db.session.scalar(sa.select(Campaign))
    html = client.get(f"/admin/campaigns/{c.id}/edit").get_data(as_text=True)
    assert 'value="Năm Dân vận chính quyền 2018"' in html and 'value="30/11/2030 17:00"' in html
    # the edit form has no framework section: its sections are numbered 1 to 4, as shown
    assert re.findall(r"<h2>(\d+)\. ", html) == ["1", "2", "3", "4"]
    assert "<h2>2. Đơn vị tham gia</h2>" in html
    new_form = client.get("/admin/campaigns/new").get_data(as_text=True)
    assert re.findall(r"<h2>(\d+)\. ", new_form) == ["1", "2", "3", "4", "5"]
    assert "<h2>2. Bộ tiêu chí chấm điểm</h2>" in new_form
    r = client.submit(f"/admin/campaigns/{c.id}/edit", _form(name="Năm Dân vận 2018 (sửa)", blind="y",
                                                             levels=[], unit_codes=ds[0].code))
    assert r.status_code == 302
    db.session.expire_all()
    c = db.session.get(Campaign, c.id)
    assert c.name == "Năm Dân vận 2018 (sửa)" and c.settings["blind"] is True
    assert [cu.unit_id for cu in c.participants] == [ds[0].id]


def test_clone_and_archive_in_browser(client, factory):
    admin_client(client, factory)
    c, units = ready_campaign(factory, status="closed", name="Phong trào 2017")
    c.settings = {**svc.default_settings(), "participants": {"unit_codes": [u.code for u in units]}}
    db.session.commit()
    page = f"/admin/campaigns/{c.id}"
    r = client.submit(f"/admin/campaigns/{c.id}/clone", {}, page=page)
    assert r.status_code == 303
    clone = db.session.scalar(sa.select(Campaign).where(Campaign.cloned_from_id == c.id))
    assert clone.status == "draft" and clone.framework_version_id == c.framework_version_id
    assert clone.submission_deadline is None and "bản sao" in clone.name
    assert {cu.unit_id for cu in clone.participants} == {u.id for u in units}
    # The first press only says what will happen; nothing is archived yet.
    r = client.submit(f"/admin/campaigns/{c.id}/archive", {"archived": "1"}, page=page)
    text = r.get_data(as_text=True)
    assert r.status_code == 200 and "Xác nhận lưu trữ phong trào" in text
    assert "Lưu trữ «Phong trào 2017» sẽ:" in text
    assert "khoá vòng đời: không chuyển trạng thái, không mở lại được cho đến khi bỏ lưu trữ" in text
    assert "phong trào chưa công bố kết quả nào nên không có gì trên trang công khai" in text
    assert "Có thể hoàn tác bằng nút «Bỏ lưu trữ»" in text
    db.session.expire_all()
    assert db.session.get(Campaign, c.id).archived_at is None
    assert f'campaign-row-{c.id}"' in client.get("/admin/campaigns").get_data(as_text=True)
    # The confirmed press archives, with its audit row.
    r = client.submit(f"/admin/campaigns/{c.id}/archive", {"archived": "1", "confirmed": "1"}, page=page)
    assert r.status_code == 303
    assert "Đã lưu trữ phong trào." in client.get(page).get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Campaign, c.id).archived_at is not None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog).where(
        AuditLog.action == "campaign.archive", AuditLog.campaign_id == c.id)) == 1
    assert f'campaign-row-{c.id}"' not in client.get("/admin/campaigns").get_data(as_text=True)
    assert f'campaign-row-{c.id}"' in client.get("/admin/campaigns?archived=1").get_data(as_text=True)


@pytest.mark.usefixtures("request_ctx")
def test_only_draft_or_closed_can_be_archived(factory):
    c, _ = ready_campaign(factory, status="open")
    with pytest.raises(Conflict, match="nháp hoặc đã kết thúc"):
        svc.archive_campaign(c.id)


def test_deadline_extension_per_unit_with_reason(client, factory):
    admin_client(client, factory)
    c, units = ready_campaign(factory, status="open")
    page = f"/admin/campaigns/{c.id}"
    r = client.submit(f"/admin/campaigns/{c.id}/extensions", {"unit_id": str(units[0].id), "new_deadline": "2099-01-05T17:00",
                                                              "reason": ""}, page=page)
    assert r.status_code == 400 and db.session.scalar(sa.select(sa.func.count()).select_from(DeadlineExtension)) == 0
    # Cold walk: the page came back emptied under "choose a unit, a deadline and a reason" whatever was wrong.
    # Now the form comes back as typed, the message under the field that is wrong.
    html = r.get_data(as_text=True)
    assert 'value="05/01/2099 17:00"' in html and "Vui lòng điền mục này." in html.split('id="reason"')[1][:600]
    assert f'action="/admin/campaigns/{c.id}/extensions#extensions"' in html and "novalidate" in html
    html = client.submit(f"/admin/campaigns/{c.id}/extensions", {"unit_id": str(units[0].id), "new_deadline": "31/02/2099 17:00",
                                                                 "reason": "Mất điện"}, page=page).get_data(as_text=True)
    assert "Lịch không có ngày “31/02/2099 17:00”" in html and "Mất điện</textarea>" in html
    html = client.submit(f"/admin/campaigns/{c.id}/extensions", {"unit_id": str(units[0].id), "new_deadline": "01/01/2000 17:00",
                                                                 "reason": "Mất điện"}, page=page).get_data(as_text=True)
    error = html.split('id="new_deadline-error"')[1][:300]  # the service's refusal, under the deadline
    assert "Hạn mới phải sau hạn nộp chung của phong trào." in error
    client.submit(f"/admin/campaigns/{c.id}/extensions", {"unit_id": str(units[0].id), "new_deadline": "2099-01-05T17:00",
                                                          "reason": "Mất điện, thiếu số liệu"}, page=page)
    ext = db.session.scalar(sa.select(DeadlineExtension))
    assert ext.unit_id == units[0].id and ext.reason == "Mất điện, thiếu số liệu"
    assert ext.new_deadline == datetime(2099, 1, 5, 10, 0)
    # 17:00 in Hà Nội is 10:00 UTC; the other unit keeps the campaign's deadline
    assert effective_deadline(c, units[0].id) == (datetime(2099, 1, 5, 10, 0), True)
    assert effective_deadline(c, units[1].id) == (c.submission_deadline, False)
    assert "Mất điện" in client.get(page).get_data(as_text=True)


@pytest.mark.usefixtures("request_ctx")
def test_extension_must_be_later_than_campaign_deadline(factory):
    c, units = ready_campaign(factory, status="open")
    with pytest.raises(DomainError, match="sau hạn nộp chung"):
        svc.extend_deadline(c.id, units[0].id, c.submission_deadline, "lý do")


def test_framework_edit_makes_new_version_then_is_refused_once_entries_exist(client, factory):
    admin_client(client, factory)
    c, units = ready_campaign(factory, status="open")
    page = f"/admin/campaigns/{c.id}/framework"
    old_version = c.framework_version_id
    text = client.get(page).get_data(as_text=True)
    assert 'data-testid="framework-form"' in text
    with client.application.test_request_context():
        doc = framework_io.loads(framework_io.dumps(db.session.get(FrameworkVersion, old_version).document))
    doc["groups"][0]["children"][0]["max_points"] = 20
    doc["groups"][0]["children"][0]["name"]["vi"] = "Tỷ lệ người tham gia BHYT"
    import yaml

    r = client.submit(page, {"document": yaml.safe_dump(doc, allow_unicode=True)})
    assert r.status_code == 303
    db.session.expire_all()
    c = db.session.get(Campaign, c.id)
    assert c.framework_version_id != old_version and c.framework_version.version == 2
    assert db.session.get(FrameworkVersion, old_version).document["groups"][0]["children"][0]["name"]["vi"] == "Tỷ lệ BHYT"
    # a broken edit is refused with the validator's messages, nothing saved
    doc["groups"][0]["children"][0]["rule"] = {"kind": "linear", "floor": 90, "target": 85}
    r = client.submit(page, {"document": yaml.safe_dump(doc, allow_unicode=True)})
    assert r.status_code == 400 and "floor &lt; target" in r.get_data(as_text=True)
    # once an entry exists the edit is refused with an explanation
    factory.entry(c, units[0])
    db.session.commit()
    html = client.get(page).get_data(as_text=True)
    assert 'data-testid="framework-locked"' in html and 'data-testid="framework-form"' not in html
    with client.application.test_request_context(), pytest.raises(Conflict, match="nhân bản"):
        svc.replace_framework(c.id, db.session.get(FrameworkVersion, old_version).document)
    assert db.session.get(Campaign, c.id).framework_version.version == 2


@pytest.mark.usefixtures("request_ctx")
def test_default_bands_follow_the_framework_scale(factory):
    c = svc.create_campaign({"name": "Năm Dân vận", "kind": "thematic", "template_code": "mass-mobilization-2018",
                             "settings": {"bands": svc.default_settings(100)["bands"]}})
    assert [b["min_total"] for b in c.settings["bands"]] == [855, 760, 665, 0]  # 90/80/70% of 950


def test_conflict_and_interval_options_are_editable(client, factory):
    """The judging engineer's forbid_reciprocal and the leaderboard's show_intervals reach settings."""
    admin_client(client, factory)
    _districts(factory)
    client.submit("/admin/campaigns/new", _form())
    c = db.session.scalar(sa.select(Campaign))
    assert c.settings["forbid_reciprocal"] is False
    r = client.submit(f"/admin/campaigns/{c.id}/edit", _form(forbid_reciprocal="y", show_intervals="y"))
    assert r.status_code == 302
    db.session.expire_all()
    c = db.session.get(Campaign, c.id)
    assert c.settings["forbid_reciprocal"] is True and c.settings["show_intervals"] is True
    html = client.get(f"/admin/campaigns/{c.id}/edit").get_data(as_text=True)
    assert 'id="forbid_reciprocal" name="forbid_reciprocal" type="checkbox" value="y"' in html and "checked" in html


def _campaign_without_a_rule(factory):
    """Participants and their ranking clusters set directly (as the demo data and imports do):
    no participants rule in the settings. Unit 0 has an entry."""
    c, units = ready_campaign(factory, status="open", n_units=3, settings=svc.default_settings())
    cluster = Cluster(code="CUM-X", name="Cụm X")
    db.session.add(cluster)
    db.session.flush()
    for u in units[:2]:
        db.session.add(ClusterMember(cluster_id=cluster.id, unit_id=u.id))
    for cu in c.participants:
        cu.cluster_id = cluster.id if cu.unit_id in (units[0].id, units[1].id) else None
    factory.entry(c, units[0])
    db.session.commit()
    return c, units, cluster


def _membership(campaign_id: int) -> dict:
    db.session.expire_all()
    return dict(db.session.execute(sa.select(CampaignUnit.unit_id, CampaignUnit.cluster_id)
                                   .where(CampaignUnit.campaign_id == campaign_id)).all())


def test_edit_form_of_a_campaign_without_a_rule_keeps_its_units_and_clusters(client, factory):
    """Walk finding: the form opened with no participant ticked, so saving a changed aggregation
    tried to remove every unit (an error page) or, without entries, dropped the ranking clusters."""
    admin_client(client, factory)
    c, units, cluster = _campaign_without_a_rule(factory)
    before = _membership(c.id)
    html = client.get(f"/admin/campaigns/{c.id}/edit").get_data(as_text=True)
    sent = form_as_sent(html, "unit_codes")
    assert sorted(sent["unit_codes"].split()) == sorted(u.code for u in units)  # the units, shown as codes
    assert sent["ranking_cluster_ids"] == str(cluster.id)  # its ranking cluster ticked
    sent["aggregation"] = "median"  # the one change the commission makes
    r = client.submit(f"/admin/campaigns/{c.id}/edit", sent)
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    assert _membership(c.id) == before
    assert db.session.get(Campaign, c.id).settings["aggregation"] == "median"


def test_edit_form_with_no_participant_chosen_says_so_and_changes_nothing(client, factory):
    admin_client(client, factory)
    c, _units, _cluster = _campaign_without_a_rule(factory)
    before = _membership(c.id)
    sent = form_as_sent(client.get(f"/admin/campaigns/{c.id}/edit").get_data(as_text=True), "unit_codes")
    sent.update(unit_codes="", ranking_cluster_ids=[], name="Tên đã sửa")
    r = client.submit(f"/admin/campaigns/{c.id}/edit", sent)
    page = r.get_data(as_text=True)
    assert r.status_code == 400
    error = re.search(r'data-testid="error-unit_codes">([^<]*)<', page).group(1)  # beside the codes box
    assert error.startswith("Phong trào cần ít nhất một đơn vị tham gia") and error.endswith("Chưa lưu thay đổi nào.")
    assert 'value="Tên đã sửa"' in page  # what was typed is kept
    assert _membership(c.id) == before and db.session.get(Campaign, c.id).name != "Tên đã sửa"


def test_removing_a_unit_with_an_entry_keeps_the_form_and_says_why(client, factory):
    admin_client(client, factory)
    c, units, _cluster = _campaign_without_a_rule(factory)
    before = _membership(c.id)
    sent = form_as_sent(client.get(f"/admin/campaigns/{c.id}/edit").get_data(as_text=True), "unit_codes")
    sent.update(unit_codes=units[1].code, name="Tên đã sửa")
    r = client.submit(f"/admin/campaigns/{c.id}/edit", sent)
    page = r.get_data(as_text=True)
    assert r.status_code == 409
    assert "Không thể bỏ các đơn vị đã có bài dự thi khỏi phong trào" in page and units[0].name in page
    assert 'value="Tên đã sửa"' in page and "Lưu phong trào" in page  # the form, not an error page
    assert _membership(c.id) == before


def test_new_form_shows_every_error_in_one_round(client, factory):
    """No framework chosen and an end before the start: both are said at once (the dates were only
    checked after the framework was fixed)."""
    admin_client(client, factory)
    _districts(factory)
    r = client.submit("/admin/campaigns/new", _form(template_code="", period_end="2017-01-01"))
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    assert "Hãy chọn một bộ tiêu chí mẫu hoặc một bộ tiêu chí đã có." in html
    assert "Ngày kết thúc phải sau ngày bắt đầu." in html
    # with a field the form itself refuses (no name) too
    r = client.submit("/admin/campaigns/new", _form(name="", template_code="", period_end="2017-01-01"))
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and 'data-testid="error-name"' in html
    assert "Hãy chọn một bộ tiêu chí mẫu hoặc một bộ tiêu chí đã có." in html
    assert "Ngày kết thúc phải sau ngày bắt đầu." in html


def test_a_closed_unit_code_is_refused_and_named(client, factory):
    """A code whose unit ended before the campaign's end was silently left out of the participants."""
    from datetime import date
    admin_client(client, factory)
    city = factory.unit("city", code="01", name="Thành phố Hà Nội")
    factory.unit("urban_district", parent=city, code="001", name="Quận Ba Đình", valid_to=date(2025, 7, 1))
    factory.unit("ward", parent=city, code="00004", name="Phường Ba Đình", valid_from=date(2025, 7, 1))
    r = client.submit("/admin/campaigns/new", _form(levels=[], unit_codes="001\n00004", period_start="2026-01-01",
                                                      period_end="2026-12-31"))
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    assert "001 – Quận Ba Đình (ngừng hoạt động từ 01/07/2025)" in html
    assert "không còn hoạt động vào cuối kỳ thi đua" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Campaign)) == 0
    # the same code in a campaign of 2018 (before the reform) is a participant
    r = client.submit("/admin/campaigns/new", _form(levels=[], unit_codes="001"))
    assert r.status_code == 302


def test_new_form_starts_from_communes_when_no_district_is_left(client, factory):
    from datetime import date
    admin_client(client, factory)
    city = factory.unit("city", code="01", name="Thành phố Hà Nội")
    factory.unit("urban_district", parent=city, code="001", name="Quận Ba Đình", valid_to=date(2025, 7, 1))
    factory.unit("ward", parent=city, code="00004", name="Phường Ba Đình", valid_from=date(2025, 7, 1))
    db.session.commit()
    sent = form_as_sent(client.get("/admin/campaigns/new").get_data(as_text=True), "levels")
    assert sent["levels"] == "3"  # one box ticked: communes and wards
    factory.unit("urban_district", parent=city, code="002", name="Quận Mới")
    db.session.commit()
    sent = form_as_sent(client.get("/admin/campaigns/new").get_data(as_text=True), "levels")
    assert sent["levels"] == "2"


def test_a_framework_with_its_own_bands_says_it_replaced_the_example_table(client, factory):
    admin_client(client, factory)
    _districts(factory)
    example = form_as_sent(client.get("/admin/campaigns/new").get_data(as_text=True), "bands-0-code")
    bands = {k: v for k, v in example.items() if k.startswith("bands-")}  # the example table, untouched
    assert bands["bands-0-min_total"] == "90"
    r = client.submit("/admin/campaigns/new", _form(template_code="civilized-urban", **{"tie_breaks-0": ""}, **bands))
    assert r.status_code == 302
    html = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "dùng các mức đó thay cho bảng mẫu: Đạt chuẩn đô thị văn minh (≥ 0)" in html
    c = db.session.scalar(sa.select(Campaign))
    assert [b["code"] for b in c.settings["bands"]] == ["dat_chuan"]
    # the example table replaced by the user's own bands: kept, nothing to announce
    r = client.submit("/admin/campaigns/new", _form(name="Khác", template_code="mass-mobilization-2018"))
    assert "thay cho bảng mẫu" not in client.get(r.headers["Location"]).get_data(as_text=True)


def test_fractions_are_typed_with_a_decimal_comma_and_shown_back_in_the_page_language(client, factory):
    """WTForms' FloatField refused the Vietnamese "12,5" (and accepted "nan"): one comma or one dot is the mark."""
    admin_client(client, factory)
    _districts(factory)
    r = client.submit("/admin/campaigns/new", _form(award_quota_pct="12,5", **{"bands-0-floor_pct": "85.5"}))
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    c = db.session.scalar(sa.select(Campaign))
    assert c.settings["award_quota_pct"] == 12.5 and c.settings["bands"][0]["floor_pct"] == 85.5
    html = client.get(f"/admin/campaigns/{c.id}/edit").get_data(as_text=True)
    assert 'value="12,5"' in html and 'value="85,5"' in html and 'value="12.5"' not in html
    quota = re.search(r'<input[^>]* id="award_quota_pct"[^>]*>', html).group(0)
    assert 'type="text"' in quota and 'inputmode="decimal"' in quota  # a number box would drop "12,5" in English
    for bad in ("nan", "1.234,5", "inf", "12,5%"):
        r = client.submit(f"/admin/campaigns/{c.id}/edit", _form(award_quota_pct=bad))
        html = r.get_data(as_text=True)
        assert r.status_code == 400 and "Hãy nhập một số, ví dụ 85 hoặc 85,5" in html, bad
        assert f'value="{bad}"' in html  # what was typed stays, to be fixed
        assert "khoảng từ 0 đến 100" not in html  # one message, not a second one about an empty value
    assert db.session.get(Campaign, c.id).settings["award_quota_pct"] == 12.5
    # an error in the band table: the summary links to the very box in its row
    html = client.submit(f"/admin/campaigns/{c.id}/edit", _form(**{"bands-1-floor_pct": "nan"})).get_data(as_text=True)
    summary = html.split('data-testid="form-errors"')[1].split("</div>")[0]
    assert '<a href="#bands-1-floor_pct">Mức xếp loại 2: Sàn mỗi tiêu chí (%)</a>' in summary  # which band, which box
    assert "Bands" not in summary
    box = re.search(r'<input[^>]* id="bands-1-floor_pct"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in box and 'class="invalid"' in box  # the wrong box itself is marked
    after = html.split(box)[1][:200]  # ... and its message right under it, in the same cell
    assert after.startswith('<div class="field-error" id="bands-1-floor_pct-error">Hãy nhập một số')
    assert 'data-caption="Mức 2"' in html  # the card's heading on a phone
    client.post("/lang/en", data={"next": f"/admin/campaigns/{c.id}/edit"})
    html = client.submit(f"/admin/campaigns/{c.id}/edit", _form(**{"bands-1-floor_pct": "nan"})).get_data(as_text=True)
    assert '<a href="#bands-1-floor_pct">Band 2: Floor per criterion (%)</a>' in html
    client.post("/lang/vi", data={"next": f"/admin/campaigns/{c.id}/edit"})
    # no judges at all is out of range, not "an empty field" (0 is a value)
    html = client.submit(f"/admin/campaigns/{c.id}/edit", _form(judges_per_entry="0")).get_data(as_text=True)
    assert "Số phải nằm trong khoảng từ 1 đến 15." in html and "Vui lòng điền mục này." not in html
    # "1.234" may mean 1234 to a Vietnamese reader: refused with both readings, never saved as 1.234
    html = client.submit(f"/admin/campaigns/{c.id}/edit", _form(award_quota_pct="1.234")).get_data(as_text=True)
    assert "“1.234” đọc được hai cách: hãy viết 1234 nếu là số nguyên, hoặc 1,234 nếu là số thập phân." in html
    assert client.submit(f"/admin/campaigns/{c.id}/edit", _form(award_quota_pct="1,234")).status_code == 302
    assert db.session.get(Campaign, c.id).settings["award_quota_pct"] == 1.234  # the Vietnamese decimal comma
    client.post("/lang/en", data={"next": f"/admin/campaigns/{c.id}/edit"})
    html = client.get(f"/admin/campaigns/{c.id}/edit").get_data(as_text=True)
    assert 'value="1.234"' in html  # shown back with the English decimal point
    html = client.submit(f"/admin/campaigns/{c.id}/edit", _form(award_quota_pct="1,234")).get_data(as_text=True)
    assert "“1,234” can be read two ways: write 1234 for a whole number, or 1.234 for a decimal." in html


def test_days_and_deadlines_are_typed_and_shown_as_the_page_shows_days(client, factory):
    """The browser's own date boxes showed 10/23/2026, 05:11 AM (an English browser's order) inside the
    Vietnamese page that writes 23/10/2026 everywhere else: days are typed day first, or with the
    month's name on the English page, and shown back the same way."""
    admin_client(client, factory)
    _districts(factory)
    r = client.submit("/admin/campaigns/new", _form(period_start="1/1/2018", period_end="31.12.2018",
                                                     submission_deadline="30/11/2030 17h",
                                                     appraisal_deadline="20/12/2030 08:30"))
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    c = db.session.scalar(sa.select(Campaign))
    assert (c.period_start, c.period_end) == (date(2018, 1, 1), date(2018, 12, 31))
    html = client.get(f"/admin/campaigns/{c.id}/edit").get_data(as_text=True)
    start = re.search(r'<input[^>]* id="period_start"[^>]*>', html).group(0)
    assert 'type="text"' in start and 'value="01/01/2018"' in start and 'placeholder="vd. 30/11/2026"' in start
    assert 'value="30/11/2030 17:00"' in html and 'value="20/12/2030 08:30"' in html
    for field, bad, message in (("period_end", "12/31/2018", "Lịch không có ngày “12/31/2018” (ngày viết trước tháng)."),
                                ("period_end", "31/02/2018", "Lịch không có ngày “31/02/2018” (ngày viết trước tháng)."),
                                ("period_end", "cuối năm", "Hãy nhập ngày theo thứ tự ngày/tháng/năm, ví dụ 30/11/2026."),
                                ("submission_deadline", "30/11/2030", "Hãy nhập ngày và giờ, ví dụ 30/11/2026 17:00."),
                                ("submission_deadline", "30/11/2030 25:00", "Hãy nhập ngày và giờ, ví dụ 30/11/2026 17:00.")):
        r = client.submit(f"/admin/campaigns/{c.id}/edit", _form(**{field: bad}))
        html = r.get_data(as_text=True)
        assert r.status_code == 400 and html.count(message) == 1, (field, bad)
        assert f'value="{bad}"' in html  # what was typed stays, to be fixed
    assert db.session.get(Campaign, c.id).period_end == date(2018, 12, 31)
    client.post("/lang/en", data={"next": f"/admin/campaigns/{c.id}/edit"})
    html = client.get(f"/admin/campaigns/{c.id}/edit").get_data(as_text=True)
    assert 'value="1 Jan 2018"' in html and 'value="30 Nov 2030 17:00"' in html
    assert 'placeholder="e.g. 30 Nov 2026 17:00"' in html
    # what the English page shows reads back as the same day
    assert client.submit(f"/admin/campaigns/{c.id}/edit", _form(period_start="1 Jan 2018", period_end="31 December 2018",
                                                                 submission_deadline="30 Nov 2030 17:00")).status_code == 302
    assert db.session.get(Campaign, c.id).period_end == date(2018, 12, 31)
    html = client.submit(f"/admin/campaigns/{c.id}/edit", _form(period_end="31 Foo 2018")).get_data(as_text=True)
    assert "Enter the day as day/month/year or with the month name, for example 30 Nov 2026." in html
    # what was read is shown back as the page writes days, so "5/1/2027" visibly became 5 January;
    # month-first with the month's name and a 12-hour clock are read too
    html = client.submit(f"/admin/campaigns/{c.id}/edit", _form(period_start="5/1/2018", period_end="Dec 31, 2018",
                                                                 submission_deadline="1/5/2030 5:30 pm",
                                                                 award_quota_pct="abc")).get_data(as_text=True)
    assert 'value="5 Jan 2018"' in html and 'value="31 Dec 2018"' in html and 'value="1 May 2030 17:30"' in html
