"""Failed-login throttling in Redis, so the limits hold across every gunicorn worker.

Three counters, each over a sliding-ish window (a key that expires after its window):

* one account from one address (``LOGIN_RATE_LIMIT`` per 5 minutes) — password guessing;
* one address over all accounts (``LOGIN_IP_LIMIT`` per 5 minutes) — credential stuffing;
* one account over all addresses (``LOGIN_ACCOUNT_LIMIT`` per 15 minutes) — guessing
  spread over many addresses. A browser where this account signed in before carries a
  signed "known device" cookie and is exempt from this one counter, so nobody can lock the
  real officer out of their account by failing logins from elsewhere.

If Redis is down, nobody is throttled (and nobody is locked out); failures are still audited.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass

import redis
from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from ..redis_client import get_redis

PAIR_WINDOW = 300
IP_WINDOW = 300
ACCOUNT_WINDOW = 900
DEVICE_COOKIE = "thidua_device"
DEVICE_MAX_AGE = 90 * 24 * 3600


@dataclass(frozen=True)
class Client:
    username: str
    ip: str
    known_device: bool = False

    @property
    def account(self) -> str:
        return self.username.strip().lower()


def _keys(c: Client) -> dict[str, str]:
    return {"pair": f"thidua:login-fail:{c.account}|{c.ip}", "ip": f"thidua:login-fail-ip:{c.ip}",
            "account": f"thidua:login-fail-acct:{c.account}"}


def _limits() -> dict[str, int]:
    cfg = current_app.config
    return {"pair": cfg["LOGIN_RATE_LIMIT"], "ip": cfg["LOGIN_IP_LIMIT"], "account": cfg["LOGIN_ACCOUNT_LIMIT"]}


def limited_by(c: Client) -> str | None:
    """Which counter refuses this attempt ("pair", "ip", "account"), or None."""
    keys = _keys(c)
    try:
        counts = dict(zip(keys, get_redis().mget(list(keys.values())), strict=False))
    except redis.RedisError:
        return None  # never lock everyone out because Redis is down
    limits = _limits()
    for name in ("pair", "ip", "account"):
        if name == "account" and c.known_device:
            continue
        if counts[name] is not None and int(counts[name]) >= limits[name]:
            return name
    return None


def note_failure(c: Client) -> None:
    keys = _keys(c)
    windows = {"pair": PAIR_WINDOW, "ip": IP_WINDOW, "account": ACCOUNT_WINDOW}
    try:
        pipe = get_redis().pipeline()
        for name, key in keys.items():
            pipe.incr(key)
            pipe.expire(key, windows[name])
        pipe.execute()
    except redis.RedisError:
        pass


def clear(c: Client) -> None:
    """After a successful login: forget this address's failures on this account only."""
    with contextlib.suppress(redis.RedisError):
        get_redis().delete(_keys(c)["pair"])


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="thidua-known-device")


def device_token(username: str) -> str:
    return _serializer().dumps(username.strip().lower())


def is_known_device(token: str | None, username: str) -> bool:
    if not token:
        return False
    try:
        return _serializer().loads(token, max_age=DEVICE_MAX_AGE) == username.strip().lower()
    except BadSignature:
        return False
