"""Routes of the 'unit' feature (blueprint `unit`, under /unit)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("unit", __name__, url_prefix="/unit")
