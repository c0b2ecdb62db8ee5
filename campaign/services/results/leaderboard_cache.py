"""Two-layer cache for the public leaderboard: Redis (shared) + a per-worker dict.

Design (why it is never stale past a publish, and cheap):

* Payloads (rendered HTML fragments with their figure JSON, API bodies, exports) are keyed
  by the **snapshot id** they were built from, plus the cache *generation*:
  ``thidua:lb:p:{gen}:{snapshot_id}:{name}``. A published snapshot is immutable, so a key
  never needs updating; a new publish creates a new snapshot id.
* Which snapshot is current for each campaign lives in the *directory* (built from the DB in
  one statement, ``leaderboard.load_directory``), stored as ``thidua:lb:state:{gen}``.
* ``thidua:lb:gen`` is a random token replaced on every publish / unpublish / public-flag or
  map change (``invalidate()``; also fired automatically by a SQLAlchemy after-commit hook).
  A worker whose token differs from Redis's drops its local layer and re-reads the directory.
* Checking the token costs one Redis round trip; to avoid it on every hit, each worker runs a
  small pub/sub listener thread. ``invalidate()`` sets the new token, PUBLISHes it, and WAITS
  until every subscribed worker has acknowledged (INCR of an ack key), up to 1 s. A worker may
  skip the GET only while its listener is connected, has received nothing since the worker's
  last GET, and that GET is < TRUST_SECONDS old. So when the publish task returns, every
  worker either has seen the message (and checks Redis on its next request) or is not trusted
  (listener down → GET on every request). Set ``LEADERBOARD_PUBSUB = False`` to always GET.
  (A TTL alone was rejected: stale up to the TTL; pub/sub without acks still races.)
* A miss (Redis or local) rebuilds once under a Redis lock ``SET NX PX`` (single flight):
  other workers poll for the value instead of building it; ``thidua:lb:builds`` counts builds.
* Redis down (or timing out): a 2-second circuit breaker skips Redis; the directory is read
  from the DB (one statement), so the local payloads keyed by snapshot id stay correct, and
  a missing payload is built from the DB. Pages are still served.
* Bounded staleness for changes that are not signalled (an evidence file made public, a
  judge comment published): local copies are re-read from Redis after LOCAL_MAX_AGE, Redis
  payloads expire after PAYLOAD_TTL and are then rebuilt once.
"""
from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any

import redis
import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from campaign.redis_client import get_redis
from campaign.services.results import leaderboard as lb

log = logging.getLogger(__name__)

PREFIX = "thidua:lb:"
GEN_KEY = PREFIX + "gen"
BUILDS_KEY = PREFIX + "builds"
STATE_TTL = 120  # seconds: the directory in Redis (rebuilt from the DB when it expires)
PAYLOAD_TTL = 600  # seconds: rendered payloads in Redis
LOCAL_MAX_AGE = 60.0  # seconds: an in-process copy is re-read from Redis at least this often
LOCAL_MAX_ITEMS = 512
SEARCH_MAX_ITEMS = 64
LOCK_MS = 15_000
WAIT_SECONDS = 5.0
BREAKER_SECONDS = 2.0
CHANNEL = PREFIX + "invalidate"
TRUST_SECONDS = 2.0  # with a live listener, the local generation is re-checked at least this often
ACK_WAIT_SECONDS = 1.0

_RELEASE = """if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"""


class _Local:
    """Per-process layer. Sync gunicorn workers are single-threaded; the lock covers gthread."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.gen: str | None = None
        self.directory: dict | None = None
        self.directory_at = 0.0
        self.items: OrderedDict[str, tuple[float, Any]] = OrderedDict()
        self.searches: OrderedDict[str, tuple[float, Any]] = OrderedDict()
        self.down_until = 0.0
        # pub/sub: the listener thread bumps ``signals`` on every invalidation message; a
        # request may skip the Redis GET only while ``validated == signals`` (no message since
        # the last check), the listener is connected, and the last check is < TRUST_SECONDS old.
        self.signals = 0
        self.validated = -1
        self.checked_at = 0.0
        self.listener: _Listener | None = None

    def clear(self) -> None:
        with self.lock:
            self.gen, self.directory, self.directory_at = None, None, 0.0
            self.items.clear()
            self.searches.clear()
            self.validated = -1


class _Listener(threading.Thread):
    """Per-process subscriber to CHANNEL: marks the local layer for re-validation and acks."""

    def __init__(self, url: str):
        super().__init__(name="thidua-lb-invalidate", daemon=True)
        self.url = url
        self.pid = os.getpid()
        self.connected = False
        self.stopped = False

    def run(self) -> None:
        while not self.stopped:
            try:
                client = redis.Redis.from_url(self.url, socket_connect_timeout=0.5, socket_timeout=None,
                                              health_check_interval=0)
                pubsub = client.pubsub(ignore_subscribe_messages=False)
                pubsub.subscribe(CHANNEL)
                for message in pubsub.listen():
                    if message["type"] == "subscribe":
                        _local.signals += 1  # anything published while we were away: re-check
                        self.connected = True
                    elif message["type"] == "message":
                        _local.signals += 1
                        try:
                            client.incr(PREFIX + "ack:" + message["data"].decode(), 1)
                            client.expire(PREFIX + "ack:" + message["data"].decode(), 60)
                        except redis.RedisError:
                            pass
            except Exception:  # noqa: BLE001 - reconnect; meanwhile requests check Redis every time
                pass
            self.connected = False
            _local.signals += 1
            time.sleep(1.0)


def _ensure_listener() -> bool:
    """Start (lazily, in each forked worker) the invalidation listener; True when it is live."""
    if not current_app.config.get("LEADERBOARD_PUBSUB", True):
        return False
    listener = _local.listener
    url = current_app.config["REDIS_URL"]
    if listener is None or listener.pid != os.getpid() or listener.url != url or not listener.is_alive():
        if listener is not None:
            listener.stopped = True
        listener = _local.listener = _Listener(url)
        listener.start()
        return False
    return listener.connected


_local = _Local()


def reset_local() -> None:
    """Forget the per-process layer and the circuit breaker (tests, forks)."""
    _local.clear()
    _local.down_until = 0.0


def _client() -> redis.Redis | None:
    if time.monotonic() < _local.down_until:
        return None
    return get_redis()


def _down(exc: Exception) -> None:
    log.warning("leaderboard cache: redis unavailable (%s); serving from the database", exc)
    _local.down_until = time.monotonic() + BREAKER_SECONDS


# ---------------------------------------------------------------- generation / directory
def current_gen() -> str | None:
    """The current generation token (None when Redis is down).

    One Redis GET, skipped while the process's invalidation listener is connected and has
    received no message since this process last read the token (and that read is recent).
    """
    r = _client()
    if r is None:
        return None
    now = time.monotonic()
    live = _ensure_listener()
    seen = _local.signals
    if (live and _local.gen is not None and _local.validated == seen
            and now - _local.checked_at < TRUST_SECONDS):
        return _local.gen
    try:
        raw = r.get(GEN_KEY)
    except redis.RedisError as exc:
        _down(exc)
        return None
    if raw is None:  # first use, or Redis lost its data (FLUSHALL, restart): start a generation
        try:
            r.set(GEN_KEY, uuid.uuid4().hex, nx=True)
            raw = r.get(GEN_KEY)
        except redis.RedisError as exc:
            _down(exc)
            return None
    _local.validated, _local.checked_at = seen, now
    return raw.decode()


def directory() -> dict:
    """The public directory, never stale past a publish. Normally one Redis GET, no SQL."""
    gen = current_gen()
    if gen is None:  # Redis down: the database is the source of truth (one statement)
        d = lb.load_directory()
        with _local.lock:
            _local.directory, _local.gen = None, None
        return d
    now = time.monotonic()
    with _local.lock:
        if _local.gen == gen and _local.directory is not None and now - _local.directory_at < LOCAL_MAX_AGE:
            return _local.directory
    d = _shared(PREFIX + f"state:{gen}", lb.load_directory, ttl=STATE_TTL, count=False)
    with _local.lock:
        if _local.gen != gen:
            _local.items.clear()
            _local.searches.clear()
        _local.gen, _local.directory, _local.directory_at = gen, d, now
    return d


def payload(snapshot_id: int | str, name: str, build: Callable[[], Any], kept: bool = False) -> Any:
    """A JSON-able payload of a snapshot: local layer, then Redis, then ``build()`` once.

    ``kept``: data that only a signalled change can alter (the run's rows) stays in the local layer
    until the generation changes, instead of being re-read from Redis every LOCAL_MAX_AGE.
    """
    gen = _local.gen if _local.gen is not None else "db"
    key = PREFIX + f"p:{gen}:{snapshot_id}:{name}"
    now = time.monotonic()
    max_age = float("inf") if kept and gen != "db" else LOCAL_MAX_AGE
    with _local.lock:
        hit = _local.items.get(key)
        if hit is not None and now - hit[0] < max_age:
            _local.items.move_to_end(key)
            return hit[1]
    value = build() if gen == "db" or _client() is None else _shared(key, build, ttl=PAYLOAD_TTL, count=True)
    with _local.lock:
        _local.items[key] = (now, value)
        while len(_local.items) > LOCAL_MAX_ITEMS:
            _local.items.popitem(last=False)
    return value


def peek(snapshot_id: int | str, name: str) -> Any:
    """The payload ``payload(snapshot_id, name, …)`` would return from this process's layer right now, or
    None (not there, older than LOCAL_MAX_AGE, or Redis down): never builds, never reads Redis."""
    if _local.gen is None:
        return None
    key = PREFIX + f"p:{_local.gen}:{snapshot_id}:{name}"
    with _local.lock:
        hit = _local.items.get(key)
        if hit is None or time.monotonic() - hit[0] >= LOCAL_MAX_AGE:
            return None
        _local.items.move_to_end(key)  # as payload() does on a hit: a page served this way stays
        return hit[1]


def search_payload(snapshot_id: int | str, name: str, build: Callable[[], Any]) -> Any:
    """A payload for free text (a search): this process only, SEARCH_MAX_ITEMS at most, never in Redis.

    Keyed by generation and snapshot like ``payload`` (a publish makes new keys) and kept
    LOCAL_MAX_AGE at most; its own bound, so searches never evict the pages' payloads.
    """
    key = PREFIX + f"s:{_local.gen or 'db'}:{snapshot_id}:{name}"
    now = time.monotonic()
    with _local.lock:
        hit = _local.searches.get(key)
        if hit is not None and now - hit[0] < LOCAL_MAX_AGE:
            return hit[1]
    value = build()
    with _local.lock:
        _local.searches[key] = (now, value)
        while len(_local.searches) > SEARCH_MAX_ITEMS:
            _local.searches.popitem(last=False)
    return value


def _shared(key: str, build: Callable[[], Any], *, ttl: int, count: bool) -> Any:
    """Get from Redis or build exactly once across workers (SET NX lock, others wait)."""
    r = _client()
    if r is None:
        return build()
    try:
        raw = r.get(key)
        if raw is not None:
            return json.loads(raw)
        token = uuid.uuid4().hex
        if r.set(key + ":lock", token, nx=True, px=LOCK_MS):
            try:
                raw = r.get(key)  # someone may have stored it between our GET and SET NX
                if raw is not None:
                    return json.loads(raw)
                value = build()
                pipe = r.pipeline(transaction=False)
                pipe.set(key, json.dumps(value, ensure_ascii=False, separators=(",", ":")), ex=ttl)
                if count:
                    pipe.incr(BUILDS_KEY)
                pipe.execute()
                return value
            finally:
                with contextlib.suppress(redis.RedisError):
                    r.eval(_RELEASE, 1, key + ":lock", token)
        deadline = time.monotonic() + WAIT_SECONDS
        delay = 0.005
        while time.monotonic() < deadline:
            time.sleep(delay)
            delay = min(delay * 2, 0.05)
            raw = r.get(key)
            if raw is not None:
                return json.loads(raw)
            if not r.exists(key + ":lock"):  # the builder gave up: take over
                return _shared(key, build, ttl=ttl, count=count)
    except redis.RedisError as exc:
        _down(exc)
    return build()


# ---------------------------------------------------------------- invalidation / warming
def invalidate() -> str | None:
    """Start a new generation: every worker re-reads the directory on its next request."""
    gen = uuid.uuid4().hex
    _local.clear()
    try:
        r = get_redis()
        r.set(GEN_KEY, gen)
        receivers = r.publish(CHANNEL, gen)
        # Wait until every subscribed worker has processed the message, so that when the
        # publish task returns no worker can still trust its old local generation.
        deadline = time.monotonic() + ACK_WAIT_SECONDS
        while receivers and time.monotonic() < deadline:
            if int(r.get(PREFIX + "ack:" + gen) or 0) >= receivers:
                break
            time.sleep(0.002)
    except redis.RedisError as exc:
        _down(exc)
        return None
    return gen


def builds() -> int:
    try:
        return int(get_redis().get(BUILDS_KEY) or 0)
    except redis.RedisError:
        return -1


Warmer = Callable[[dict], Iterator[str]]
_warmers: list[Warmer] = []


def register_warmer(warmer: Warmer) -> None:
    """Let the presentation layer build a campaign's hot payloads after a publish.

    The code that renders payloads (public/pages.py) registers itself here when its blueprint
    is loaded, so this service never imports a view module: the dependency runs one way.
    """
    if warmer not in _warmers:
        _warmers.append(warmer)


def warm(run_id: int | None = None, new_generation: bool = True) -> dict:
    """After a publish: new generation, then build the main payloads of the run's campaign.

    ``new_generation=False`` warms in the current generation (a second campaign after a first
    ``warm``: a new generation would drop what the first one built).
    Never raises (a publish must not fail because the cache is down); returns what it did.
    """
    done: dict[str, Any] = {"gen": None, "built": []}
    try:
        done["gen"] = invalidate() if new_generation else current_gen()
        if done["gen"] is None:
            return done
        d = directory()
        camp = next((c for c in d["campaigns"] if run_id is None or c["runs"][0]["id"] == run_id), None)
        if camp is None:  # not public (or not the latest): nothing to show, the gen bump is enough
            return done
        for warmer in _warmers:
            done["built"].extend(warmer(camp))
    except Exception:  # noqa: BLE001 - warming is an optimisation; the request path rebuilds
        log.exception("leaderboard cache warm failed for run %s", run_id)
    return done


# ---------------------------------------------------------------- automatic invalidation
_WATCH = {
    "ScoreRun": ("published_at", "kind", "status", "campaign_id"),
    "Campaign": ("results_public", "name", "name_en", "slug", "settings"),
    "MapLayer": ("active", "geojson"),
    "Unit": ("name", "name_en", "code", "latitude", "longitude"),
}


def _affects_public(obj, *, new: bool = False, deleted: bool = False) -> bool:
    name = type(obj).__name__
    attrs = _WATCH.get(name)
    if attrs is None:
        return False
    if name == "ScoreRun" and (new or deleted):
        return obj.published_at is not None
    if new or deleted:
        return name != "Unit"
    state = sa.inspect(obj)
    return any(state.attrs[a].history.has_changes() for a in attrs)


def _after_flush(session, _ctx) -> None:
    if (any(_affects_public(o, new=True) for o in session.new)
            or any(_affects_public(o, deleted=True) for o in session.deleted)
            or any(_affects_public(o) for o in session.dirty)):
        session.info["thidua_lb_dirty"] = True


def _after_commit(session) -> None:
    if session.info.pop("thidua_lb_dirty", False) and has_app_context() and "redis" in current_app.extensions:
        invalidate()


def _after_rollback(session) -> None:
    session.info.pop("thidua_lb_dirty", None)


def install_hooks() -> None:
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_soft_rollback", lambda s, _t: _after_rollback(s))
