"""The demo's 2026 campaign: Hà Nội's 126 commune-level units after the 1 July 2025 reform.

The units, their real names and GSO codes, and their lineage come from the official list
(``unit_sync.apply_official_in_transaction``), which also ends the 2018 districts and their
communes on 1 July 2025 (their published results stay theirs). The campaign ranks the 126 wards
and communes within the city and within four demo clusters (an assumption: the city's real
split is not public), grouped by the former district most of each unit's predecessors belonged
to. ``campaign.demo`` fills entries, judges, recomputes and publishes it like the 2018 campaigns.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import aliased

from .extensions import db
from .hanoi import CITY_CODE
from .labels import N_
from .models import Campaign, Cluster, ClusterMember, Unit, UnitLineage
from .services.setup.unit_sync import apply_official_in_transaction

SLUG = "dan-van-kheo-xa-phuong-2026"
# former district codes -> demo cluster of the new units formed mostly from them
CLUSTERS_2026 = (
    ("CUM26-1", "Cụm thi đua phường khu vực trung tâm (demo 2026)", "Central wards cluster (demo 2026)",
     ("001", "002", "003", "005", "006", "007", "009")),
    ("CUM26-2", "Cụm thi đua phường, xã khu vực phía Đông và Nam (demo 2026)", "Eastern and southern cluster (demo 2026)",
     ("004", "008", "018", "020", "268", "278", "279", "280", "281", "282")),
    ("CUM26-3", "Cụm thi đua phường, xã khu vực phía Bắc (demo 2026)", "Northern cluster (demo 2026)",
     ("016", "017", "019", "021", "250")),
    ("CUM26-4", "Cụm thi đua phường, xã khu vực phía Tây (demo 2026)", "Western cluster (demo 2026)",
     ("269", "271", "272", "273", "274", "275", "276", "277")),
)


def add_campaign(now: datetime, make_campaign: Callable[..., Campaign],
                 participate: Callable[[Campaign, list[Unit], dict[int, Cluster]], None]
                 ) -> tuple[Campaign, list[Unit], str]:
    """Load the current list for Hà Nội and create the published 2026 campaign on its 126 units.

    ``make_campaign`` and ``participate`` are the demo loader's own builders (passed in, so this
    module does not import ``campaign.demo``). Returns (campaign, units, entry mode) for the loader.
    """
    with current_app.test_request_context():  # the report's messages are translated
        apply_official_in_transaction(CITY_CODE)
    city_id = db.session.scalar(sa.select(Unit.id).where(Unit.code == CITY_CODE, Unit.valid_to.is_(None)))
    units = list(db.session.scalars(sa.select(Unit).where(Unit.parent_id == city_id, Unit.level == 3,
                                                          Unit.valid_to.is_(None)).order_by(Unit.code)))
    campaign = make_campaign("mass-mobilization-2018.yaml", SLUG, "published", now,
                             name=("Thi đua “Dân vận khéo” cấp xã, phường năm 2026",
                                   "“Skilful mass mobilisation” emulation of communes and wards 2026"),
                             kind="thematic", deadline=now - timedelta(days=20), settings_extra={})
    campaign.period_start, campaign.period_end = date(2026, 1, 1), date(2026, 12, 31)
    participate(campaign, units, _clusters(units))
    return campaign, units, "submitted"


# The 2026 publication's own label (stored in Vietnamese; pages show the English form from the catalogue).
PUBLISH_LABEL = N_("Tổng kết năm 2026 (demo)")


def _clusters(units: list[Unit]) -> dict[int, Cluster]:
    """unit id -> its demo cluster, by the former district of most of its predecessors."""
    pred, old_district = aliased(Unit), aliased(Unit)
    rows = db.session.execute(
        sa.select(UnitLineage.successor_id, old_district.code)
        .join(pred, pred.id == UnitLineage.predecessor_id).join(old_district, old_district.id == pred.parent_id)
        .where(UnitLineage.successor_id.in_([u.id for u in units]))).all()
    votes: dict[int, Counter] = {}
    for successor_id, district_code in rows:
        votes.setdefault(successor_id, Counter())[district_code] += 1
    region = {code: i for i, (*_, codes) in enumerate(CLUSTERS_2026) for code in codes}
    clusters = []
    for code, name, name_en, _codes in CLUSTERS_2026:
        cluster = Cluster(code=code, name=name, name_en=name_en, kind="cluster")
        db.session.add(cluster)
        clusters.append(cluster)
    db.session.flush()
    by_unit: dict[int, Cluster] = {}
    for unit in units:
        district = votes[unit.id].most_common(1)[0][0] if unit.id in votes else None
        cluster = clusters[region.get(district, 3)]
        db.session.add(ClusterMember(cluster_id=cluster.id, unit_id=unit.id))
        by_unit[unit.id] = cluster
    return by_unit
