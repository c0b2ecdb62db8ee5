"""What a person reads: one form per locale for days, moments, percentages and typed values on real pages."""
from __future__ import annotations

import io
import re
from datetime import date, datetime

from campaign.extensions import db
from tests.conftest import Client
from tests.unit_helpers import GOOD, PDF, World, field_value, open_entry, save, submit


def _row(html: str, campaign_id: int) -> str:
    return re.search(rf'data-testid="campaign-row-{campaign_id}">(.*?)</tr>', html, re.S).group(1)


def test_campaign_list_shows_days_and_deadline_in_one_form_per_language(client, factory):
    factory.user("admin", username="qt")
    # 10:00 UTC is 17:00 in Hà Nội
    camp = factory.campaign(period_start=date(2026, 1, 1), period_end=date(2026, 12, 31),
                            submission_deadline=datetime(2026, 11, 30, 10, 0))
    db.session.commit()
    client.login("qt")
    row = _row(client.get("/admin/campaigns").get_data(as_text=True), camp.id)
    assert "01/01/2026 – 31/12/2026" in row and "30/11/2026 17:00" in row
    assert "30/11/26" not in row  # Babel's two-digit "short" year is gone
    client.post("/lang/en", data={"next": "/admin/campaigns"})
    row = _row(client.get("/admin/campaigns").get_data(as_text=True), camp.id)
    assert "1 Jan 2026 – 31 Dec 2026" in row and "30 Nov 2026 17:00" in row
    assert "PM" not in row


def test_a_typed_decimal_comes_back_in_the_readers_form(client, factory):
    world = World(factory)
    client.login("canbo")
    entry_id = open_entry(client, world)
    assert save(client, entry_id, {**GOOD, "A.1": "88.8"}).status_code == 303
    html = client.get(f"/unit/entries/{entry_id}").get_data(as_text=True)
    assert field_value(html, "A.1") == "88,8"  # Vietnamese comma, same value
    assert field_value(html, "A.2") == "1.234,5"  # grouped input stays as typed
    client.post("/lang/en", data={"next": f"/unit/entries/{entry_id}"})
    html = client.get(f"/unit/entries/{entry_id}").get_data(as_text=True)
    assert field_value(html, "A.1") == "88.8"


def test_completeness_is_a_percentage_in_each_language(client, factory):
    world = World(factory)
    client.login("canbo")
    entry_id = open_entry(client, world)
    # 2 of 7 indicators filled: 2 / 7 = 28,57 % → 29 %
    assert save(client, entry_id, {"A.3": "3", "A.4": "5"}).status_code == 303
    assert 'data-testid="completeness">29 %' in client.get("/unit/").get_data(as_text=True)
    client.post("/lang/en", data={"next": "/unit/"})
    assert 'data-testid="completeness">29%' in client.get("/unit/").get_data(as_text=True)


def test_locked_fields_read_as_labels_and_hide_empty_explanations(app, client, factory):
    world = World(factory)
    client.login("canbo")
    entry_id = open_entry(client, world)
    # B.2 is free text scored by judges' levels; "good" is the level's code, whose label is "Tốt"
    assert submit(client, entry_id, {**GOOD, "B.2": "good"},
                  files={"file-A.1": (io.BytesIO(PDF), "bien-ban.pdf")}).status_code == 303
    admin = Client(app.test_client())
    admin.login("hoidong")
    assert admin.submit(f"/admin/reporting/entries/{entry_id}/clarify",
                        {"codes": "A.2", "message": "Số tiền chưa khớp"},
                        page=f"/admin/reporting/{world.campaign.id}").status_code == 303
    html = client.get(f"/unit/entries/{entry_id}").get_data(as_text=True)
    assert field_value(html, "B.2") == "Tốt"  # never the code "good"
    assert field_value(html, "A.5") == "Có"  # never "yes"
    assert field_value(html, "A.1") == "67,5"
    assert re.search(r'<input[^>]*name="v-B.2"[^>]*class="readonly"[^>]*disabled', html)
    assert 'name="ex-A.1"' not in html  # locked with no explanation: no empty "Giải trình" box
    assert field_value(html, "A.2") == "1.234,5" and 'name="codes" value="A.2"' in html  # the asked one stays editable
