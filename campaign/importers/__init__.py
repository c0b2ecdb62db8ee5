"""File parsers for imports (no database access): GSO unit lists, unit and cluster CSVs, the official list.

Each parser returns plain rows (and per-row problems) or raises :class:`ImportFormatError`
when the file as a whole cannot be read; the services in ``campaign.services.setup`` compare
the rows with the database and apply them in one transaction.
"""
from __future__ import annotations

from dataclasses import dataclass


class ImportFormatError(ValueError):
    """The file cannot be imported at all (unreadable, empty, wrong columns)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class SourceUnit:
    """One unit of an official list, parents listed before their children.

    Both the GSO file reader and the official-list reader produce these, so one service
    (``campaign.services.setup.unit_sync``) compares them with the database.
    """

    row: int | None  # row in the file (None for a package source)
    code: str
    name: str
    kind: str | None  # a key of UNIT_LEVELS; None when the row is refused
    parent_code: str | None  # None for a province-level unit
    name_en: str = ""
    problem: str | None = None  # why the row is refused (the whole import is then refused)
