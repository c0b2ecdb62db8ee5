"""Units and clusters: GSO import (real file), re-import, dry run, broken files, CSVs, editing."""
from __future__ import annotations

import io
from datetime import date

import pytest
import sqlalchemy as sa

from campaign.extensions import db
from campaign.models import AuditLog, CampaignUnit, Cluster, ClusterMember, Unit
from campaign.services.errors import DomainError
from campaign.services.setup import unit_sync
from campaign.services.setup import units as svc
from tests.admin_helpers import SMALL_GSO, admin_client, gso_bytes, gso_xlsx, request_ctx  # noqa: F401

pytestmark = pytest.mark.usefixtures("request_ctx")


def _count(level=None, active_only=False):
    q = sa.select(sa.func.count()).select_from(Unit)
    if level:
        q = q.where(Unit.level == level)
    if active_only:
        q = q.where(Unit.valid_to.is_(None))
    return db.session.scalar(q)


def test_real_gso_file_imports_30_districts_and_584_communes(app):
    report = unit_sync.import_gso(gso_bytes(), "gso_hanoi_units_2017-10.xls")
    assert report.counts == {"created": 1 + 30 + 584, "updated": 0, "unchanged": 0, "skipped": 0, "deactivated": 0,
                             "successor": 0}
    assert (_count(1), _count(2), _count(3)) == (1, 30, 584)
    kinds = dict(db.session.execute(sa.select(Unit.kind, sa.func.count()).group_by(Unit.kind)).all())
    assert kinds == {"city": 1, "urban_district": 12, "rural_district": 17, "town": 1,
                     "ward": 177, "commune": 386, "township": 21}
    truc_bach = db.session.scalar(sa.select(Unit).where(Unit.code == "00004"))
    assert truc_bach.name == "Phường Trúc Bạch" and truc_bach.parent.name == "Quận Ba Đình"
    assert truc_bach.parent.parent.code == "01"
    # a second import of the same file changes nothing
    again = unit_sync.import_gso(gso_bytes(), "gso_hanoi_units_2017-10.xls")
    assert again.counts["unchanged"] == 615 and again.counts["created"] == 0 and again.counts["deactivated"] == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog)
                             .where(AuditLog.action == "units.import_gso")) == 2


def test_dry_run_reports_but_writes_nothing(app):
    report = unit_sync.import_gso(gso_xlsx(SMALL_GSO), "small.xlsx", dry_run=True)
    assert report.dry_run and report.counts["created"] == 1 + 3 + 5
    assert _count() == 0


def test_reimport_updates_names_adds_and_deactivates_only_when_confirmed(app):
    unit_sync.import_gso(gso_xlsx(SMALL_GSO), "v1.xlsx", effective=date(2017, 10, 15))
    newer = [r[:] for r in SMALL_GSO if r[5] != "00004"]           # Trúc Bạch vanished (merged)
    newer[0][4] = "Phường Phúc Xá Mới"                                 # renamed
    newer.append(["Thành phố Hà Nội", "01", "Quận Ba Đình", "001", "Phường Mới", "00010", "Phường", ""])  # new
    report = unit_sync.import_gso(gso_xlsx(newer), "v2.xlsx", effective=date(2020, 2, 11))
    by_code = {line.code: line for line in report.lines}
    assert by_code["00001"].action == "updated" and "Phúc Xá Mới" in by_code["00001"].reason
    assert by_code["00010"].action == "created"
    assert by_code["00004"].action == "deactivated" and by_code["00004"].row is None
    assert by_code["04933"].action == "unchanged"
    # a deactivation needs the dry run's confirmation: nothing was saved
    assert report.needs_confirmation and not report.applied
    assert db.session.scalar(sa.select(Unit.name).where(Unit.code == "00001")) == "Phường Phúc Xá"
    report = unit_sync.import_gso(gso_xlsx(newer), "v2.xlsx", effective=date(2020, 2, 11), confirm=report.token)
    assert report.applied
    gone = db.session.scalar(sa.select(Unit).where(Unit.code == "00004"))
    assert gone is not None and gone.valid_to == date(2020, 2, 11)   # kept, inactive
    assert _count() == 1 + 3 + 6 and _count(active_only=True) == 1 + 3 + 5
    # it comes back in a later list: a new record under the code, the old one keeps its end date
    v3 = unit_sync.import_gso(gso_xlsx(SMALL_GSO), "v3.xlsx", effective=date(2021, 1, 1), dry_run=True)
    assert [line.code for line in v3.lines if line.action == "deactivated"] == ["00010"]  # Phường Mới vanished
    unit_sync.import_gso(gso_xlsx(SMALL_GSO), "v3.xlsx", effective=date(2021, 1, 1), confirm=v3.token)
    assert db.session.scalars(sa.select(Unit.valid_to).where(Unit.code == "00004").order_by(Unit.id)).all() == [
        date(2020, 2, 11), None]


def test_bad_rows_refuse_the_whole_file_with_reasons(app):
    rows = SMALL_GSO + [["Thành phố Hà Nội", "01", "Quận Ba Đình", "001", "", "00099", "Phường", ""],
                        SMALL_GSO[0]]
    report = unit_sync.import_gso(gso_xlsx(rows), "x.xlsx")
    skipped = [line for line in report.lines if line.action == "skipped"]
    assert [(s.row, s.code) for s in skipped] == [(7, "00099"), (8, "00001")]
    assert "tên" in skipped[0].reason and "lặp" in skipped[1].reason
    assert report.refused and not report.applied and _count() == 0


@pytest.mark.parametrize("data, filename", [
    (b"", "empty.xls"),
    (b"PK\x03\x04garbage", "broken.xlsx"),
    (None, "wrong-columns.xlsx"),
])
def test_malformed_file_changes_nothing(app, data, filename):
    unit_sync.import_gso(gso_xlsx(SMALL_GSO), "v1.xlsx")
    before = db.session.execute(sa.select(Unit.code, Unit.name, Unit.valid_to).order_by(Unit.code)).all()
    if data is None:
        data = gso_xlsx([["Hà Nội", "01"]], header=["Tỉnh", "Mã"])
    with pytest.raises(DomainError) as exc:
        unit_sync.import_gso(data, filename)
    assert "không có thay đổi nào được lưu" in exc.value.message
    assert db.session.execute(sa.select(Unit.code, Unit.name, Unit.valid_to).order_by(Unit.code)).all() == before


def test_import_page_dry_run_then_save(client, factory):
    admin_client(client, factory)
    r = client.submit("/admin/units/import", {"kind": "gso", "dry_run": "y",
                                              "file": (io.BytesIO(gso_xlsx(SMALL_GSO)), "dm.xlsx")},
                      content_type="multipart/form-data")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and 'data-testid="import-report"' in html and "Phường Trúc Bạch" in html
    assert _count(3) == 0
    r = client.submit("/admin/units/import", {"kind": "gso", "file": (io.BytesIO(gso_xlsx(SMALL_GSO)), "dm.xlsx")},
                      content_type="multipart/form-data")
    assert r.status_code == 200 and _count(3) == 5


@pytest.mark.parametrize("kind,csv,label", [
    ("units_csv", "code,name,name_en,kind,parent_code\nCQ-TEST9,Sở Thử nghiệm,,agency,\n", "Sở Thử nghiệm"),
    ("clusters_csv", "cluster_code,cluster_name,unit_code,role\nCUM-T,Cụm thử,CQ-TEST8,head\n", "CQ-TEST8"),
])
def test_a_real_csv_import_says_it_was_saved(client, factory, kind, csv, label):
    """Unticking 'Chạy thử' saves the rows, and the page says so (it said 'Kết quả chạy thử (chưa lưu
    gì)', so an officer would import the file again)."""
    admin_client(client, factory)
    factory.unit("agency", code="CQ-TEST8", name="Sở Thử tám")
    db.session.commit()
    dry = client.submit("/admin/units/import", {"kind": kind, "dry_run": "y", "file": (io.BytesIO(csv.encode()), "a.csv")},
                        content_type="multipart/form-data").get_data(as_text=True)
    assert "Kết quả chạy thử (chưa lưu gì)" in dry and "Đã nhập xong" not in dry and label in dry
    html = client.submit("/admin/units/import", {"kind": kind, "file": (io.BytesIO(csv.encode()), "a.csv")},
                         content_type="multipart/form-data").get_data(as_text=True)
    assert "Đã nhập xong" in html and "chạy thử" not in html.split('data-testid="import-report"')[1]
    assert label in html


def test_import_page_shows_clear_error_for_wrong_columns(client, factory):
    admin_client(client, factory)
    bad = gso_xlsx([["x"]], header=["Tên đơn vị"])
    r = client.submit("/admin/units/import", {"kind": "gso", "file": (io.BytesIO(bad), "bad.xlsx")},
                      content_type="multipart/form-data")
    assert r.status_code == 400
    assert "Không tìm thấy dòng tiêu đề" in r.get_data(as_text=True)


def test_units_csv_import_and_cluster_membership(app):
    unit_sync.import_gso(gso_xlsx(SMALL_GSO), "v1.xlsx")
    report = svc.import_units_csv(("code,name,name_en,kind,parent_code\n"
                                   "SO-NV,Sở Nội vụ,Department of Home Affairs,agency,01\n"
                                   "001,Quận Ba Đình,Ba Dinh District,urban_district,01\n"
                                   "X9,Xã Ma,,commune,999\n").encode())
    assert [line.action for line in report.lines] == ["created", "updated", "skipped"]
    assert "999" in report.lines[2].reason
    assert db.session.scalar(sa.select(Unit.name_en).where(Unit.code == "001")) == "Ba Dinh District"

    report = svc.import_clusters_csv(("cluster_code,cluster_name,unit_code,role\n"
                                      "CUM-1,Cụm số 1,001,head\nCUM-1,Cụm số 1,016,deputy\n"
                                      "CUM-1,Cụm số 1,404,\n").encode())
    assert [line.action for line in report.lines] == ["created", "created", "skipped"]
    cluster = db.session.scalar(sa.select(Cluster).where(Cluster.code == "CUM-1"))
    members = set(db.session.scalars(sa.select(Unit.code).join(ClusterMember, ClusterMember.unit_id == Unit.id)
                                     .where(ClusterMember.cluster_id == cluster.id)))
    assert members == {"001", "016"}
    assert db.session.get(Unit, cluster.head_unit_id).code == "001"


def test_edit_unit_and_mark_inactive_in_browser(client, factory):
    admin_client(client, factory)
    district = factory.unit("urban_district", code="001", name="Quận Ba Đình")
    ward = factory.unit("ward", parent=district, code="00004", name="Phường Trúc Bạch")
    r = client.submit(f"/admin/units/{ward.id}/edit", {"code": "00004", "name": "Phường Trúc Bạch (mới)",
                                                        "kind": "ward", "parent_id": str(district.id)})
    assert r.status_code == 303
    r = client.submit(f"/admin/units/{ward.id}/inactive", {"valid_to": "2020-02-11", "reason": "Sáp nhập"},
                      page=f"/admin/units/{ward.id}/edit")
    assert r.status_code == 303
    db.session.expire_all()
    ward = db.session.get(Unit, ward.id)
    assert ward.name == "Phường Trúc Bạch (mới)" and ward.valid_to == date(2020, 2, 11)
    assert "ngừng hoạt động từ" in client.get("/admin/units?ended=y").get_data(as_text=True)


def test_unit_form_keeps_input_on_duplicate_code(client, factory):
    admin_client(client, factory)
    factory.unit("urban_district", code="001", name="Quận Ba Đình")
    r = client.submit("/admin/units/new", {"code": "001", "name": "Quận Trùng Mã", "kind": "urban_district"})
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and "đã được dùng" in html and 'value="Quận Trùng Mã"' in html


def test_cluster_edit_in_browser(client, factory):
    admin_client(client, factory)
    a, b = factory.unit("urban_district"), factory.unit("rural_district")
    r = client.submit("/admin/clusters/new", {"code": "CUM-9", "name": "Cụm 9", "kind": "cluster",
                                              "member_ids": [str(a.id), str(b.id)], "head_unit_id": str(a.id)})
    assert r.status_code == 303
    cluster = db.session.scalar(sa.select(Cluster).where(Cluster.code == "CUM-9"))
    assert {m.unit_id for m in cluster.members} == {a.id, b.id} and cluster.head_unit_id == a.id
    # head must be a member
    r = client.submit(f"/admin/clusters/{cluster.id}/edit", {"code": "CUM-9", "name": "Cụm 9", "kind": "cluster",
                                                             "member_ids": [str(b.id)], "head_unit_id": str(a.id)})
    assert r.status_code == 400 and "thành viên" in r.get_data(as_text=True)
    html = r.get_data(as_text=True)  # said under the head's list, which the summary links to (not the code)
    under_head = html.split('id="head_unit_id-error"')[1][:200]
    assert "Cụm trưởng phải là một đơn vị thành viên của cụm (đánh dấu ở danh sách trên)." in under_head
    assert '<a href="#head_unit_id">' in html and '<a href="#code">' not in html


def test_a_form_with_errors_lists_them_as_links_and_marks_its_fields_for_screen_readers(client, factory):
    """Cold walk: the banner did not say where the errors were, fields carried no aria-invalid, the
    cluster form had no banner and no Cancel, and its member list needed Ctrl-click (no phone can)."""
    import re

    admin_client(client, factory)
    a = factory.unit("urban_district", code="001", name="Quận Ba Đình")
    db.session.commit()
    html = client.submit("/admin/clusters/new", {"code": "", "name": "Cụm 9", "kind": "cluster",
                                                 "member_ids": [str(a.id)]}).get_data(as_text=True)
    summary = html.split('data-testid="form-errors"')[1].split("</div>")[0]
    assert "Vui lòng sửa các lỗi được đánh dấu:" in summary and '<a href="#code">Mã cụm' in summary
    assert summary.count("<li>") == 1  # only the field that is wrong
    code = re.search(r'<input[^>]*id="code"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in code and 'aria-describedby="code-error"' in code
    assert re.search(r'id="code-error">\s*<div class="field-error"[^>]*>Vui lòng điền mục này.', html)
    name = re.search(r'<input[^>]*id="name"[^>]*>', html).group(0)
    assert "aria-invalid" not in name
    members = html.split('data-testid="members"')[1].split("</ul>")[0]
    assert re.search(rf'<input checked id="member_ids-0" name="member_ids" type="checkbox" value="{a.id}">', members)
    assert "001 – Quận Ba Đình" in members and "Ctrl" not in html
    assert 'data-testid="cancel-cluster">Huỷ</a>' in html
    client.post("/lang/en", data={"next": "/admin/campaigns/new"})
    html = client.submit("/admin/campaigns/new", {"name": ""}).get_data(as_text=True)
    summary = html.split('data-testid="form-errors"')[1].split("</div>")[0]
    assert "Please correct the marked fields:" in summary and '<a href="#name">' in summary


def test_cluster_form_offers_current_units_and_keeps_ended_members_marked(client, factory):
    """After the reform the member list held every ended district and ward beside the new ones (1,266
    lines, same codes and names twice): it offers the units active today, and an ended unit only when
    it is already a member, marked as ended."""
    from datetime import date
    admin_client(client, factory)
    old = factory.unit("urban_district", code="001", name="Quận Ba Đình", valid_to=date(2025, 7, 1))
    gone = factory.unit("ward", code="00073", name="Phường Cửa Nam", valid_to=date(2025, 7, 1))
    new = factory.unit("ward", code="00074", name="Phường Cửa Nam", valid_from=date(2025, 7, 1))
    db.session.commit()
    html = client.get("/admin/clusters/new").get_data(as_text=True)
    members = html.split('data-testid="members"')[1].split("</ul>")[0]
    assert "00074 – Phường Cửa Nam" in members and "00073" not in members and "Quận Ba Đình" not in members
    r = client.submit("/admin/clusters/new", {"code": "CUM-26", "name": "Cụm 2026", "kind": "cluster",
                                              "member_ids": [str(new.id), str(gone.id)]})
    assert r.status_code == 400  # an ended ward is not offered, so not accepted
    cluster = Cluster(code="CUM-18", name="Cụm 2018", kind="cluster")  # a cluster of the 2018 campaigns
    db.session.add(cluster)
    db.session.flush()
    db.session.add_all([ClusterMember(cluster_id=cluster.id, unit_id=u.id) for u in (old, gone)])
    db.session.commit()
    html = client.get(f"/admin/clusters/{cluster.id}/edit").get_data(as_text=True)
    members = html.split('data-testid="members"')[1].split("</ul>")[0]
    assert "001 – Quận Ba Đình (ngừng hoạt động từ 01/07/2025)" in members
    assert "00074 – Phường Cửa Nam" in members


def test_form_messages_follow_the_page_language(client, factory):
    """WTForms' own messages ("This field is required.") reached the Vietnamese pages in English."""
    admin_client(client, factory)
    r = client.submit("/admin/clusters/new", {"code": "", "name": "Cụm 9", "kind": "galaxy"})
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    assert "Vui lòng điền mục này." in html and "Lựa chọn không hợp lệ." in html
    assert "This field is required." not in html and "Not a valid choice" not in html
    assert 'value="Cụm 9"' in html  # what was typed is kept
    client.post("/lang/en", data={"next": "/admin/clusters/new"})
    html = client.submit("/admin/clusters/new", {"code": "", "name": "Cụm 9", "kind": "galaxy"}).get_data(as_text=True)
    assert "This field is required." in html and "Vui lòng điền mục này." not in html


def test_units_page_shows_current_units_and_finds_any_by_code_or_name_without_diacritics(client, factory):
    """After the reform the tree held 615 ended units of Hà Nội beside the 126 current ones, with no search."""
    admin_client(client, factory)
    city = factory.unit("city", code="01", name="Thành phố Hà Nội")
    district = factory.unit("urban_district", parent=city, code="001", name="Quận Ba Đình", valid_to=date(2025, 7, 1))
    factory.unit("ward", parent=district, code="00004", name="Phường Trúc Bạch", valid_to=date(2025, 7, 1))
    factory.unit("ward", parent=city, code="00005", name="Phường Ba Đình", valid_from=date(2025, 7, 1))
    factory.unit("commune", parent=city, code="09999", name="Xã Minh Châu", valid_from=date(2025, 7, 1))
    db.session.commit()

    def tree(url):
        html = client.get(url).get_data(as_text=True)
        return html, html.split('data-testid="unit-tree"')[1]

    html, shown = tree("/admin/units")
    assert "Phường Ba Đình" in shown and "Xã Minh Châu" in shown
    assert "Quận Ba Đình" not in shown and "Trúc Bạch" not in shown
    assert "2 đơn vị đã ngừng hoạt động không hiện ở đây." in html
    _html, shown = tree("/admin/units?ended=y")
    assert "Quận Ba Đình" in shown and "ngừng hoạt động từ 01/07/2025" in shown
    _html, shown = tree("/admin/units?q=truc+bach&ended=y")
    assert "Phường Trúc Bạch" in shown and "Quận Ba Đình" in shown  # the district above it, opened
    assert '<details class="tree-node" open>' in shown and "Phường Ba Đình" not in shown
    html, shown = tree("/admin/units?q=truc+bach")
    assert "Trúc Bạch" not in shown and "Không có đơn vị nào khớp với “truc bach”." in html
    # ... and points to the ended unit it did find, one click away
    hint = html.split('data-testid="show-ended-matches"')[1].split("</a>")[0]
    assert "Có 1 đơn vị đã ngừng hoạt động khớp: xem." in hint and 'q=truc+bach&amp;ended=y' in html
    assert 'data-testid="show-ended-matches"' not in tree("/admin/units?q=zzz")[0]  # nothing ended matches either
    _html, shown = tree("/admin/units?q=00005")
    assert "Phường Ba Đình" in shown and "Xã Minh Châu" not in shown
    html, shown = tree("/admin/units?q=BA+DINH")
    assert "Phường Ba Đình" in shown and "Xã Minh Châu" not in shown
    # the ended Quận Ba Đình matches too: offered even though a current unit was found
    assert "Có 1 đơn vị đã ngừng hoạt động khớp: xem." in html.split('data-testid="show-ended-matches"')[1].split("</a>")[0]
    _html, shown = tree("/admin/units?ended=y")
    ended_district = shown.split('data-testid="unit-001"')[1].split("</details>")[0]
    assert "thêm đơn vị trực thuộc" not in ended_district  # nothing is added under an abolished district
    client.post("/lang/en", data={"next": "/admin/units"})
    html, _shown = tree("/admin/units?q=zzz")
    assert "No unit matches “zzz”." in html and "2 ended units are not shown here." in html
    html, _shown = tree("/admin/units?q=truc+bach")
    assert "1 ended unit matches: show it." in html
    assert "ended on 1 Jul 2025" in tree("/admin/units?ended=y")[1]
    assert "Load the official list from 1 Jul 2025" in html


def test_a_cluster_no_campaign_uses_can_be_deleted_after_confirming_one_in_use_cannot(client, factory):
    """A mistaken or test cluster stayed for ever (the form had no delete), and showed up in every
    campaign form's cluster choices. One in use stays, so past rankings stay explainable."""
    import re

    from tests.admin_helpers import ready_campaign

    admin_client(client, factory)
    a, b = factory.unit("urban_district"), factory.unit("rural_district")
    db.session.commit()
    client.submit("/admin/clusters/new", {"code": "T-1", "name": "Thử", "kind": "cluster", "member_ids": [str(a.id), str(b.id)]})
    spare = db.session.scalar(sa.select(Cluster.id).where(Cluster.code == "T-1"))
    page = f"/admin/clusters/{spare}/edit"
    html = client.submit(f"/admin/clusters/{spare}/delete", {}, page=page).get_data(as_text=True)
    assert "Xoá hẳn cụm T-1 và danh sách 2 đơn vị thành viên của nó." in html  # first press: nothing deleted yet
    assert db.session.get(Cluster, spare) is not None
    r = client.submit(f"/admin/clusters/{spare}/delete", {"confirmed": "1"}, page=page)
    db.session.expire_all()
    assert r.status_code == 303 and db.session.get(Cluster, spare) is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ClusterMember)) == 0
    log = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "cluster.delete"))
    assert log.before["code"] == "T-1" and sorted(log.before["members"]) == sorted([a.id, b.id])
    assert "Đã xoá cụm T-1." in client.get("/admin/clusters").get_data(as_text=True)
    # a cluster a campaign ranks in: refused, naming the campaign, even when asked twice
    c, units = ready_campaign(factory)
    used = Cluster(code="CUM-1", name="Cụm 1", kind="cluster")
    db.session.add(used)
    db.session.flush()
    db.session.execute(sa.update(CampaignUnit).where(CampaignUnit.campaign_id == c.id).values(cluster_id=used.id))
    db.session.commit()
    page = f"/admin/clusters/{used.id}/edit"
    html = client.submit(f"/admin/clusters/{used.id}/delete", {}, page=page).get_data(as_text=True)
    assert "Không xoá được cụm CUM-1 vì đang được dùng trong:" in html and c.name in html
    assert 'data-testid="confirm-cluster-delete"' not in html
    client.submit(f"/admin/clusters/{used.id}/delete", {"confirmed": "1"}, page=page)
    assert db.session.get(Cluster, used.id) is not None
    client.post("/lang/en", data={"next": page})
    html = client.get(page).get_data(as_text=True)
    assert re.search(r'data-testid="delete-cluster">Delete this cluster or block</button>', html)
