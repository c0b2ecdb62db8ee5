"""Builders for the big public boards: real commune-level units from the official list (vietnam-provinces)."""
from __future__ import annotations

from campaign.extensions import db
from campaign.importers.official import official_list, provinces
from campaign.models import Unit
from tests.public_helpers import BANDS, publish


def official_units(province_codes: list[str] | None = None) -> list[Unit]:
    """The commune-level units (two-tier, from 1 July 2025) of the given provinces (all 34 by default)."""
    units = []
    for code in province_codes or [c for c, _name in provinces()]:
        for u in official_list(code, with_lineage=False).units[1:]:
            units.append(Unit(code=u.code, name=u.name, kind=u.kind, level=3))
    db.session.add_all(units)
    db.session.flush()
    return units


def big_board(factory, units: list[Unit], *, slug: str = "big", step: float = 0.5, previous=None):
    """A published two-tier board: the i-th unit scores 100 - i*step (all distinct, rank i+1)."""
    camp = factory.campaign(units=units, slug=slug, settings={"bands": BANDS})
    totals = [round(100 - i * step, 4) for i in range(len(units))]
    results = [(u, t, i + 1, {"I": round(t * 0.6, 4), "II": round(t - round(t * 0.6, 4), 4)})
               for i, (u, t) in enumerate(zip(units, totals, strict=True))]
    run = publish(camp, results, level=3, previous=previous)
    return camp, run
