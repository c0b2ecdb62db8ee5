"""Builders for the accounts and notifications tests: a real SMTP server in-process, cookie copies."""
from __future__ import annotations

import re
import time
from email import message_from_bytes
from email.policy import default as default_policy

import pytest

from campaign.devserver import free_port
from campaign.services.accounts import mailsink
from tests.conftest import Client


@pytest.fixture
def smtp(app, tmp_path):
    """aiosmtpd on a free port (the same sink `make run` starts); the app sends to it."""
    port = free_port()
    folder = tmp_path / "mail"
    ctl = mailsink.controller(folder, port=port)
    ctl.start()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_TLS="none", MAIL_SINK_DIR=str(folder),
                      SMTP_FROM="Thi Dua <thidua@tinh.example>", PUBLIC_BASE_URL="http://thidua.example")
    yield Sink(folder)
    ctl.stop()


class Sink:
    def __init__(self, folder):
        self.folder = folder

    def messages(self) -> list[mailsink.SunkMessage]:
        return mailsink.read(self.folder)

    def wait_for(self, predicate, count: int = 1, within: float = 20.0) -> list[mailsink.SunkMessage]:
        """The messages matching ``predicate`` once ``count`` of them arrived (polling; never a timing assertion)."""
        end = time.monotonic() + within
        while True:
            found = [m for m in self.messages() if predicate(m)]
            if len(found) >= count or time.monotonic() > end:
                return found
            time.sleep(0.1)


def raw_messages(folder) -> list:
    import mailbox

    box = mailbox.Maildir(str(folder), factory=None, create=False)
    return [message_from_bytes(box.get_bytes(k), policy=default_policy) for k in box.iterkeys()]


def link_in(text: str) -> str:
    """The path of the first thidua.example link in a message."""
    return re.search(r"http://thidua\.example(/\S+)", text).group(1)


def copy_session(app, client: Client) -> Client:
    """A second browser holding a copy of ``client``'s session cookie."""
    other = Client(app.test_client())
    cookie = client.c.get_cookie("session")
    assert cookie is not None
    other.c.set_cookie("session", cookie.value)
    return other


def is_login_page(resp) -> bool:
    return resp.status_code == 302 and "/login" in resp.headers["Location"]
