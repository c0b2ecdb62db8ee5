"""Failed-login counting in Redis, so the limit holds across all gunicorn workers."""
from __future__ import annotations

import redis
from flask import current_app

from ..redis_client import get_redis

WINDOW_SECONDS = 300


def _key(username: str) -> str:
    return f"thidua:login-fail:{username.strip().lower()}"


def is_limited(username: str) -> bool:
    try:
        count = get_redis().get(_key(username))
    except redis.RedisError:
        return False  # never lock everyone out because Redis is down
    return count is not None and int(count) >= current_app.config["LOGIN_RATE_LIMIT"]


def note_failure(username: str) -> None:
    try:
        pipe = get_redis().pipeline()
        pipe.incr(_key(username))
        pipe.expire(_key(username), WINDOW_SECONDS)
        pipe.execute()
    except redis.RedisError:
        pass


def clear(username: str) -> None:
    try:
        get_redis().delete(_key(username))
    except redis.RedisError:
        pass
