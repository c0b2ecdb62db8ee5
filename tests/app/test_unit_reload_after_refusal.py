"""A refused save reloaded in the same tab re-sends the same form: no false "another tab" warning, no loss."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from campaign.extensions import db
from campaign.models import IndicatorNode, IndicatorValue
from tests.unit_helpers import GOOD, World, error_box, field_value, lock_version, open_entry, save

BAD = {**GOOD, "A.2": "bốn"}
OTHER_TAB = "vừa được lưu ở một tab"


@pytest.fixture
def world(factory):
    return World(factory)


def _raw(entry_id: int, code: str) -> str | None:
    db.session.expire_all()
    return db.session.scalar(sa.select(IndicatorValue.raw).join(IndicatorNode, IndicatorNode.id == IndicatorValue.indicator_id)
                             .where(IndicatorValue.entry_id == entry_id, IndicatorNode.code == code))


def test_reloading_a_refused_save_does_not_claim_another_tab(client, world):
    client.login("canbo")
    entry_id = open_entry(client, world)
    lock = lock_version(client, entry_id)
    first = save(client, entry_id, BAD, lock=lock)
    assert first.status_code == 422
    # The reload: the browser posts exactly the same form again, with the version it was loaded at.
    again = save(client, entry_id, BAD, lock=lock)
    html = again.get_data(as_text=True)
    assert OTHER_TAB not in html
    assert field_value(html, "A.2") == "bốn" and "“bốn” không phải là một số" in error_box(html, "A.2")
    assert _raw(entry_id, "A.2") == "bốn"


def test_a_real_change_from_an_old_form_is_still_refused(client, world):
    client.login("canbo")
    entry_id = open_entry(client, world)
    lock = lock_version(client, entry_id)
    assert save(client, entry_id, BAD, lock=lock).status_code == 422  # saved, the version moved on
    resp = save(client, entry_id, {**BAD, "A.2": "7"}, lock=lock)  # the old form, with a new value
    assert resp.status_code == 409 and OTHER_TAB in resp.get_data(as_text=True)
    assert _raw(entry_id, "A.2") == "bốn"
