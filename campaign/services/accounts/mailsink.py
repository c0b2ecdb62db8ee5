"""A local SMTP sink for development (``make run``) and tests: aiosmtpd writes every message it
receives into a Maildir, and the admin's /admin/mail page lists that Maildir read-only.

Run: ``python -m campaign.services.accounts.mailsink --port 8025 --dir instance/mail``.
"""
from __future__ import annotations

import argparse
import mailbox
import signal
import threading
from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import parsedate_to_datetime
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox

LIST_MAX = 200


def controller(maildir: str | Path, host: str = "127.0.0.1", port: int = 8025) -> Controller:
    """An SMTP server on a thread, writing to ``maildir``; call ``start()`` / ``stop()``."""
    Path(maildir).parent.mkdir(parents=True, exist_ok=True)
    mailbox.Maildir(str(maildir), create=True)  # tmp/ new/ cur/
    return Controller(Mailbox(str(maildir)), hostname=host, port=port)


@dataclass(frozen=True)
class SunkMessage:
    key: str
    date: datetime | None
    sender: str
    to: str
    subject: str
    language: str
    text: str
    html: str


def read(maildir: str | Path, limit: int = LIST_MAX) -> list[SunkMessage]:
    """The newest ``limit`` messages of the Maildir (none if it does not exist yet)."""
    if not Path(maildir, "cur").is_dir() and not Path(maildir, "new").is_dir():
        return []
    box = mailbox.Maildir(str(maildir), factory=None, create=False)
    out = []
    for key in box.iterkeys():
        raw = box.get_bytes(key)
        msg = _parse(raw)
        out.append(SunkMessage(key=key, date=_date(msg["Date"]), sender=str(msg["From"] or ""), to=str(msg["To"] or ""),
                               subject=str(msg["Subject"] or ""), language=str(msg["Content-Language"] or ""),
                               text=_part(msg, "plain"), html=_part(msg, "html")))
    out.sort(key=lambda m: (m.date or datetime.min, m.key), reverse=True)
    return out[:limit]


def _parse(raw: bytes) -> EmailMessage:
    return message_from_bytes(raw, policy=default_policy)  # type: ignore[return-value]


def _part(msg: EmailMessage, subtype: str) -> str:
    part = msg.get_body(preferencelist=(subtype,))
    return part.get_content() if part is not None else ""


def _date(value) -> datetime | None:
    try:
        return parsedate_to_datetime(str(value)).replace(tzinfo=None) if value else None
    except (TypeError, ValueError):
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--dir", required=True)
    args = parser.parse_args()
    ctl = controller(args.dir, args.host, args.port)
    ctl.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print(f"mail sink: smtp://{args.host}:{args.port} → {args.dir}", flush=True)
    stop.wait()
    ctl.stop()


if __name__ == "__main__":
    main()
