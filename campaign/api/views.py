"""Routes of the 'api' feature (blueprint `api`, under /api/v1)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")
