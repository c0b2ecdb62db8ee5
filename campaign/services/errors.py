"""Domain exceptions that views map to user-facing messages and HTTP statuses."""
from __future__ import annotations


class DomainError(Exception):
    """A refused action; ``message`` is already translated for the current user."""

    status = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    status = 404


class Forbidden(DomainError):
    status = 403


class Conflict(DomainError):
    status = 409
