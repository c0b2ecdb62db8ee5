"""Issue 17, "one place for each thing": the shared lookups behave the same from every door.

* a campaign that does not exist reads "Không tìm thấy phong trào." on each page that looks one up
  (setup.campaigns.get_campaign), and the command line names the slug it could not find;
* an id beyond a database integer in the manual-assignment form is a form error, never a query;
* a login session ends when its session version is bumped (accounts.users.session_user).
"""
from __future__ import annotations

import sqlalchemy as sa

from campaign.extensions import db
from campaign.models import Assignment
from campaign.services.accounts import users
from tests.judging_helpers import add_panel, district_campaign

MISSING = 424242


def test_a_missing_campaign_is_named_not_found_on_each_admin_page(client, factory):
    factory.user("admin", username="boss")
    db.session.commit()
    client.login("boss")
    for url in (f"/admin/results/{MISSING}", f"/judging/admin/campaigns/{MISSING}/assignments"):
        resp = client.get(url)
        assert resp.status_code == 404, url
        assert "Không tìm thấy phong trào." in resp.get_data(as_text=True), url


def test_assign_judges_names_the_slug_it_cannot_find(app):
    out = app.test_cli_runner().invoke(args=["assign-judges", "khong-co-phong-trao-nay"])
    assert out.exit_code != 0
    assert "no campaign with slug 'khong-co-phong-trao-nay'" in out.output


def test_manual_assignment_refuses_an_id_beyond_a_database_integer(client, factory):
    campaign, _districts, entries = district_campaign(factory, n_entries=1)
    judge = factory.user("judge", username="gk-big")
    add_panel(campaign, [judge])
    factory.user("admin", username="boss")
    db.session.commit()
    client.login("boss")
    page = f"/judging/admin/campaigns/{campaign.id}/assignments"
    resp = client.submit(f"{page}/manual", {"entry_id": "2147483648", "judge_id": judge.id}, page=page,
                         follow_redirects=True)
    assert resp.status_code == 200
    assert "Hãy chọn hồ sơ và giám khảo." in resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Assignment)) == 0


def test_a_session_ends_when_its_version_is_bumped(client, factory):
    officer = factory.user("admin", username="boss")
    db.session.commit()
    client.login("boss")
    assert client.get("/admin/results/").status_code == 200
    users.end_sessions(officer.id)
    resp = client.get("/admin/results/")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert users.session_user(f"{officer.id}:{officer.session_version}").username == "boss"
    assert users.session_user(f"{officer.id}:{officer.session_version - 1}") is None
    assert users.session_user("99999999999999999999:0") is None
    assert users.session_user("rubbish") is None
