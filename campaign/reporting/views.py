"""Routes of the 'reporting' feature (blueprint `reporting`, under /admin/reporting)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("reporting", __name__, url_prefix="/admin/reporting")
