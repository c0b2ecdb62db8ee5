"""Routes of the 'judging' feature (blueprint `judging`, under /judging)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("judging", __name__, url_prefix="/judging")
