"""Domain exceptions that views map to user-facing messages and HTTP statuses."""
from __future__ import annotations


class DomainError(Exception):
    """A refused action; ``message`` is already translated for the current user; ``field`` names the
    input it is about, when one is (a form shows it there)."""

    status = 400

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    status = 404


class Forbidden(DomainError):
    status = 403


class Conflict(DomainError):
    status = 409
