"""How the public pages and the JSON API send a cached body: gzip when the client accepts it, an ETag per
form, and a 304 without a body when the client already holds that form (``If-None-Match``).

One implementation for the HTML board and the API board (public/views.py, api/views.py).
"""
from __future__ import annotations

import gzip
import hashlib

from flask import Response, request


def accepts_gzip() -> bool:
    """Whether the request accepts a gzip body (``Accept-Encoding``)."""
    header = request.environ.get("HTTP_ACCEPT_ENCODING", "")
    if "gzip" not in header:
        return False
    if ";" not in header and "gzip" in (token.strip() for token in header.split(",")):
        return True  # listed without a quality value: accepted (what browsers and wrk send), no parsing
    return request.accept_encodings.quality("gzip") > 0


def send_cached(body: bytes, forms: dict, content_type: str, status: int = 200, vary: str = "Accept-Encoding") -> Response:
    """``body`` as a response, revalidated by ETag.

    ``forms`` is the caller's cache of the body's forms ({gzipped?: (bytes, ETag)}), tied to the body: each
    form (plain, gzip at level 9) is made once. A client whose ``If-None-Match`` names the form's ETag gets
    a 304 without a body. ``Cache-Control: no-cache``: a publication changes the body, so every use revalidates.
    """
    packed = accepts_gzip()
    form = forms.get(packed)
    if form is None:
        data = gzip.compress(body, compresslevel=9, mtime=0) if packed else body
        form = forms[packed] = (data, hashlib.blake2b(data, digest_size=12).hexdigest())
    data, etag = form
    if "HTTP_IF_NONE_MATCH" in request.environ and status == 200 and request.if_none_match.contains_weak(etag):
        resp = Response(status=304)
    else:
        # headers set directly (no mimetype or Vary parsing)
        resp = Response(data, status=status, content_type=content_type)
        if packed:
            resp.headers["Content-Encoding"] = "gzip"
    resp.headers["Vary"] = vary
    resp.headers["ETag"] = f'"{etag}"'
    resp.headers["Cache-Control"] = "no-cache"
    return resp
