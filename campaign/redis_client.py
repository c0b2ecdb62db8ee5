"""One Redis client per process, short timeouts so a dead Redis never hangs a request."""
from __future__ import annotations

import redis
from flask import Flask, current_app


def init_redis(app: Flask) -> None:
    app.extensions["redis"] = redis.Redis.from_url(
        app.config["REDIS_URL"], socket_timeout=0.5, socket_connect_timeout=0.5,
        health_check_interval=30,
    )


def get_redis() -> redis.Redis:
    return current_app.extensions["redis"]
