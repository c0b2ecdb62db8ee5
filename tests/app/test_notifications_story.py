"""The whole story with a real worker and a real SMTP server: an officer is invited by e-mail,
sets a password from the link, gets the judge's clarification request by e-mail, answers
(resubmits), and the judge is told — in the app (bell) and by e-mail, each exactly once."""
from __future__ import annotations

import io
import re

import pytest

from campaign.extensions import db
from campaign.models import Assignment, PanelMember
from tests.accounts_helpers import link_in, smtp  # noqa: F401  (fixture)
from tests.conftest import Client
from tests.unit_helpers import GOOD, PDF, World, open_entry, submit


@pytest.fixture
def story(app, factory):
    app.config["NOTIFY_ON_COMMIT"] = True  # the after-commit trigger (off by default in tests)
    world = World(factory)
    judge = factory.user("judge", username="giamkhao1", email="gk1@so.example", full_name="Phạm Quốc Dũng")
    db.session.commit()
    return world, judge


def test_invitation_clarification_answer_and_the_judge_is_told(app, client, factory, smtp, celery_worker,  # noqa: F811
                                                               story):
    world, judge = story
    admin = Client(app.test_client())
    admin.login("hoidong")
    # 1. the commission resets the officer's account: a new invitation goes out by e-mail
    admin.submit(f"/admin/users/{world.officer.id}", {
        "full_name": "Lê Thị Mai", "role": "officer", "unit_id": str(world.commune.id),
        "email": "mai@phuong.example", "phone": ""})
    admin.submit(f"/admin/users/{world.officer.id}/reset", {}, page=f"/admin/users/{world.officer.id}")
    [invite] = smtp.wait_for(lambda m: m.to == "mai@phuong.example")
    assert invite.subject == "Mời bạn sử dụng nền tảng Thi Đua"
    assert "Hãy đặt mật khẩu bằng liên kết trong thư mời" in invite.text and "<a href=" in invite.html
    # 2. the officer sets a password from the link and is signed in
    path = link_in(invite.text)
    officer = Client(app.test_client())
    resp = officer.submit(path, {"new": "hoa sữa nồng nàn phố cũ", "confirm": "hoa sữa nồng nàn phố cũ"})
    assert resp.status_code == 302
    entry_id = open_entry(officer, world)
    assert submit(officer, entry_id, GOOD, files={"file-A.1": (io.BytesIO(PDF), "bien-ban.pdf")}).status_code == 303
    # 3. an assigned judge asks for a clarification on A.2
    db.session.add(PanelMember(campaign_id=world.campaign.id, judge_id=judge.id))
    db.session.add(Assignment(entry_id=entry_id, judge_id=judge.id))
    db.session.commit()
    judge_client = Client(app.test_client())
    judge_client.login("giamkhao1")
    resp = judge_client.submit(f"/judging/entries/{entry_id}/clarify",
                               {"codes": ["A.2"], "message": "Số tiền vận động chưa khớp báo cáo"},
                               page=f"/judging/entries/{entry_id}")
    assert resp.status_code in (302, 303)
    [ask] = smtp.wait_for(lambda m: m.to == "mai@phuong.example" and "giải trình" in m.subject)
    assert ask.subject.startswith("Yêu cầu giải trình: “")
    assert "Phường Điện Biên cần giải trình các chỉ tiêu: A.2" in ask.text
    assert f"/unit/entries/{entry_id}" in ask.text
    page = officer.get("/notifications").get_data(as_text=True)
    assert "Hồ sơ của Phường Điện Biên cần giải trình các chỉ tiêu: A.2." in page
    # 4. the officer answers (resubmits) and the judge is told
    answer = submit(officer, entry_id, {"A.2": "999"}, codes=["A.2"])
    assert answer.status_code == 303, re.findall(r'(?:field-error|flash)[^>]*>([^<]+)', answer.get_data(as_text=True))
    [told] = smtp.wait_for(lambda m: m.to == "gk1@so.example")
    assert told.subject.startswith("Đơn vị đã giải trình: “")
    assert f"http://thidua.example/judging/entries/{entry_id}" in told.text
    assert 'data-testid="unread-count">1<' in judge_client.get("/notifications").get_data(as_text=True)
    # 5. exactly one message per event and recipient, even with the sweep running again
    app.extensions["celery"].send_task("thidua.notify_events")
    smtp.wait_for(lambda m: False, within=1.5)  # give a duplicate every chance to arrive
    subjects = sorted((m.to, m.subject.split(":")[0]) for m in smtp.messages())
    assert subjects == [("gk1@so.example", "Đơn vị đã giải trình"), ("mai@phuong.example", "Mời bạn sử dụng nền tảng Thi Đua"),
                        ("mai@phuong.example", "Yêu cầu giải trình")]
