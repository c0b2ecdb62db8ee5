"""Routes of the 'results' feature (blueprint `results`, under /admin/results)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("results", __name__, url_prefix="/admin/results")
