"""Shared column helpers for the models."""
from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa


def utcnow() -> datetime:
    """Naive UTC, stored the same way on SQLite and PostgreSQL."""
    return datetime.now(UTC).replace(tzinfo=None)


JSONType = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql")
