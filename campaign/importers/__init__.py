"""File parsers for imports (no database access): GSO unit lists, unit and cluster CSVs.

Each parser returns plain rows (and per-row problems) or raises :class:`ImportFormatError`
when the file as a whole cannot be read; the services in ``campaign.services.setup.units``
compare the rows with the database and apply them in one transaction.
"""
from __future__ import annotations


class ImportFormatError(ValueError):
    """The file cannot be imported at all (unreadable, empty, wrong columns)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message
