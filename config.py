"""Configuration classes; every external value comes from an environment variable.

Variables use the ``THIDUA_`` prefix. Defaults are safe for a developer laptop; the
production class refuses to start without a secret key (checked in ``create_app``).
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("THIDUA_INSTANCE_DIR", BASE_DIR / "instance"))


def env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(f"THIDUA_{name}", default)


def env_int(name: str, default: int) -> int:
    raw = env(name)
    return int(raw) if raw not in (None, "") else default


def env_bool(name: str, default: bool) -> bool:
    raw = env(name)
    if raw in (None, ""):
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _development_secret() -> str:
    """Generate once and keep, so every gunicorn worker and restart shares the key."""
    path = INSTANCE_DIR / "secret_key"
    if path.exists():
        return path.read_text().strip()
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key


def redis_url() -> str:
    return env("REDIS_URL", "redis://127.0.0.1:6390/0")


class Config:
    SECRET_KEY: str | None = env("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = env("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'thidua.sqlite'}")
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    REDIS_URL = redis_url()
    UPLOAD_FOLDER = env("UPLOAD_FOLDER", str(INSTANCE_DIR / "uploads"))
    # Per file; the request limit adds room for several files and form fields.
    MAX_UPLOAD_BYTES = env_int("MAX_UPLOAD_MB", 10) * 1024 * 1024
    MAX_CONTENT_LENGTH = env_int("MAX_REQUEST_MB", 50) * 1024 * 1024
    # The commission's values import above this size runs in the worker (64 KB ≈ 1,500 template rows)
    VALUES_IMPORT_INLINE_BYTES = env_int("VALUES_IMPORT_INLINE_KB", 64) * 1024
    MAX_FORM_MEMORY_SIZE = 2 * 1024 * 1024
    MAX_FORM_PARTS = 1000
    ALLOWED_EVIDENCE_TYPES = tuple((env("EVIDENCE_TYPES", "pdf,jpeg,png,docx,xlsx") or "").split(","))
    # evidence files in one press of a button: the largest shipped table (NTM) asks for 26 at once
    MAX_FILES_PER_REQUEST = env_int("MAX_FILES_PER_REQUEST", 60)
    MAX_FILES_PER_INDICATOR = env_int("MAX_FILES_PER_INDICATOR", 10)  # evidence files kept on one indicator
    # What an officer typed before an expired session refused the post: size cap, lifetime, and
    # how old a served form may be and still have its data kept.
    UNIT_STASH_MAX_BYTES = env_int("UNIT_STASH_KB", 128) * 1024
    UNIT_STASH_TTL = env_int("UNIT_STASH_MINUTES", 60) * 60
    UNIT_STASH_FORM_MAX_AGE = env_int("UNIT_STASH_FORM_HOURS", 24) * 3600
    BABEL_DEFAULT_LOCALE = env("DEFAULT_LOCALE", "vi")
    BABEL_DEFAULT_TIMEZONE = env("TIMEZONE", "Asia/Ho_Chi_Minh")
    LANGUAGES = ("vi", "en")
    BABEL_TRANSLATION_DIRECTORIES = ";".join(str(p) for p in sorted((BASE_DIR / "translations").glob("*")) if p.is_dir())
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
    REMEMBER_COOKIE_HTTPONLY = True
    PERMANENT_SESSION_LIFETIME = env_int("SESSION_HOURS", 12) * 3600
    # Werkzeug method string; scrypt (~0.25 s a hash) is the safe default, only tests lower it.
    PASSWORD_HASH_METHOD = env("PASSWORD_HASH_METHOD", "scrypt")
    WTF_CSRF_TIME_LIMIT = None  # the session lifetime already bounds the token
    LOGIN_RATE_LIMIT = env_int("LOGIN_RATE_LIMIT", 10)  # failed logins per account per address per 5 minutes
    LOGIN_IP_LIMIT = env_int("LOGIN_IP_LIMIT", 50)  # failed logins per address (all accounts) per 5 minutes
    LOGIN_ACCOUNT_LIMIT = env_int("LOGIN_ACCOUNT_LIMIT", 100)  # per account (all addresses) per 15 minutes
    PROXY_HOPS = env_int("PROXY_HOPS", 0)  # reverse proxies in front setting X-Forwarded-For/-Proto
    RECOMPUTE_COALESCE_SECONDS = float(env("RECOMPUTE_COALESCE_SECONDS", "0.5") or 0.5)
    # Memory per process for copies of campaigns' ledgers (results.ledger_cache); 0 turns them off.
    LEDGER_COPY_MB = env_int("LEDGER_COPY_MB", 256)
    CELERY = {
        "broker_url": redis_url(),
        "result_backend": redis_url(),
        "task_ignore_result": True,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_time_limit": 600,
        "task_soft_time_limit": 540,
        "broker_connection_retry_on_startup": True,
        # Redelivery bound after a hard-killed worker (SIGKILL of the main process; a killed pool
        # child is requeued at once): visibility_timeout + unacked_restore_interval ×
        # unacked_restore_throttle ≈ 300 + 10 s with these defaults. The timeout must stay above
        # the longest task (recompute time limit 120 s) and any countdown/ETA, or tasks loop.
        # Convergence does not wait for it: the beat sweep re-enqueues stale campaigns every
        # SWEEP_SECONDS, so results come back within ~SWEEP_SECONDS + one recompute after restart.
        "broker_transport_options": {
            "visibility_timeout": env_int("VISIBILITY_TIMEOUT", 300),
            "unacked_restore_interval": env_int("UNACKED_RESTORE_INTERVAL", 5),
            "unacked_restore_throttle": env_int("UNACKED_RESTORE_THROTTLE", 2),
            # Publishing gives up after one quick retry when Redis is down (~0.03 s instead of
            # ~6 s per save): the stale flag in the database and the sweep carry the work.
            "max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5,
        },
        "result_backend_transport_options": {"visibility_timeout": env_int("VISIBILITY_TIMEOUT", 300)},
        "visibility_timeout": env_int("VISIBILITY_TIMEOUT", 300),
        "beat_schedule": {
            "sweep-stale-campaigns": {"task": "thidua.sweep_stale", "schedule": float(env("SWEEP_SECONDS", "15") or 15)},
        },
        "timezone": "UTC",
    }


class DevelopmentConfig(Config):
    SECRET_KEY = env("SECRET_KEY") or None  # filled by create_app from instance/secret_key


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    REQUIRE_SECRET_KEY = True


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"
    WTF_CSRF_ENABLED = True
    SQLALCHEMY_DATABASE_URI = env("TEST_DATABASE_URL", "sqlite://")
    LOGIN_RATE_LIMIT = 5
    LOGIN_IP_LIMIT = 12
    LOGIN_ACCOUNT_LIMIT = 8
    RECOMPUTE_COALESCE_SECONDS = 0.0
    # cheap: tests create and log in hundreds of users (THIDUA_TEST_PASSWORD_HASH_METHOD=scrypt to compare)
    PASSWORD_HASH_METHOD = env("TEST_PASSWORD_HASH_METHOD", "pbkdf2:sha256:1000")


class IntegrationTestConfig(TestingConfig):
    """For tests that run real worker subprocesses (``celery -A wsgi:celery_app worker``).

    The database and Redis come from THIDUA_DATABASE_URL / THIDUA_REDIS_URL; the redelivery
    bound is short (visibility 15 s, restore sweep every 2 s → ≤ ~17 s) and the sweep runs
    every 2 s (THIDUA_SWEEP_SECONDS).
    """

    SQLALCHEMY_DATABASE_URI = env("DATABASE_URL", "sqlite://")
    REDIS_URL = redis_url()
    RECOMPUTE_COALESCE_SECONDS = 0.0
    CELERY = {
        **TestingConfig.CELERY,
        "broker_url": redis_url(),
        "result_backend": redis_url(),
        "broker_transport_options": {**TestingConfig.CELERY["broker_transport_options"],
                                     "visibility_timeout": 15, "unacked_restore_interval": 2,
                                     "unacked_restore_throttle": 1},
        "result_backend_transport_options": {"visibility_timeout": 15},
        "visibility_timeout": 15,
        "beat_schedule": {
            "sweep-stale-campaigns": {"task": "thidua.sweep_stale",
                                      "schedule": float(env("SWEEP_SECONDS", "2") or 2)},
        },
    }
