"""Browser-test fixtures: the app with the demo data, served on a loopback port."""
from __future__ import annotations

import threading

import pytest

from campaign.extensions import db


@pytest.fixture
def demo_server(app):
    from werkzeug.serving import make_server

    from campaign.demo import load
    from campaign.sqlite import set_read_only

    load()
    db.session.commit()
    # The test thread only reads from here on: deferred transactions, so it never holds the
    # SQLite write lock the server thread needs.
    token = set_read_only(True)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)
    set_read_only(False)
    del token
