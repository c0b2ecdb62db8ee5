"""Small web-layer helpers shared by every blueprint: sending files.

One way to send a download, so that every export and evidence file gets the same headers:
an RFC 6266 ``Content-Disposition`` (ASCII fallback plus the UTF-8 name, for ``inline`` too),
``nosniff`` and no caching by shared proxies.
"""
from __future__ import annotations

import os
import re
import unicodedata
from urllib.parse import quote

from flask import Response, send_file

EVIDENCE_CSP = "sandbox; default-src 'none'; img-src 'self'; object-src 'self'"
_UNSAFE = re.compile(r'[\x00-\x1f\x7f"\\;]')


def content_disposition(filename: str, *, inline: bool = False) -> str:
    """``attachment; filename="Bao-cao.csv"; filename*=UTF-8''B%C3%A1o-c%C3%A1o.csv`` (or ``inline; …``)."""
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    ascii_name = _UNSAFE.sub("_", ascii_name).strip() or "download"
    return f"{'inline' if inline else 'attachment'}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


def _finish(resp: Response, filename: str, inline: bool) -> Response:
    resp.headers["Content-Disposition"] = content_disposition(filename, inline=inline)
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


def attachment(body: bytes | str, filename: str, mimetype: str, *, inline: bool = False) -> Response:
    """A download built in memory (an export): text is sent as UTF-8."""
    data = body.encode("utf-8") if isinstance(body, str) else body
    return _finish(Response(data, mimetype=mimetype), filename, inline)


def stored_file(path: str | os.PathLike, filename: str, mimetype: str, *, inline: bool = False) -> Response:
    """A file on disk, served with range requests and validators (ETag, Last-Modified)."""
    resp = send_file(os.fspath(path), mimetype=mimetype, download_name=filename, as_attachment=not inline,
                     max_age=0, conditional=True)
    return _finish(resp, filename, inline)


def evidence_file(path: str | os.PathLike, filename: str, mimetype: str, *, inline: bool) -> Response:
    """An uploaded evidence file: as ``stored_file`` plus a sandbox CSP (an uploaded HTML or SVG never runs)."""
    resp = stored_file(path, filename, mimetype, inline=inline)
    resp.headers["Content-Security-Policy"] = EVIDENCE_CSP
    return resp
