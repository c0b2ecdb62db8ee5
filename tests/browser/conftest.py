"""Browser-test fixtures: the app with the demo data, served on a loopback port."""
from __future__ import annotations

import pytest

from campaign.extensions import db
from tests.browser.common import serve


@pytest.fixture
def demo_server(app):
    from campaign.demo import load
    from campaign.sqlite import set_read_only

    load()
    db.session.commit()
    # The test thread only reads from here on: deferred transactions, so it never holds the
    # SQLite write lock the server thread needs.
    token = set_read_only(True)
    with serve(app) as base:
        yield base
    set_read_only(False)
    del token
