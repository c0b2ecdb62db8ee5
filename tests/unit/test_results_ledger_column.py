"""The raw reader maps indicator ids to ledger columns in SQL (no join to indicator_node).

``inputs._ledger_column`` must give, for every indicator of the framework version, the ledger
column of its node, and -1 for an id outside the version (another version's values), whatever
the id layout: gaps, ids of several versions interleaved, nodes whose ids are not contiguous.
Ids of left-out columns (judged ones, read apart) may map anywhere: the query excludes them.
"""
from __future__ import annotations

import random
from types import SimpleNamespace

import numpy as np
import pytest
import sqlalchemy as sa

from campaign.models import IndicatorValue
from campaign.services.results.inputs import _ledger_column


def _mapped(info, skip: set, ids: list[int]) -> dict[int, int]:
    engine = sa.create_engine("sqlite://")
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE indicator_value (indicator_id INTEGER)"))
        conn.execute(sa.text("INSERT INTO indicator_value VALUES (:i)"), [{"i": i} for i in ids])
        expr = _ledger_column(info, skip)
        return dict(conn.execute(sa.select(IndicatorValue.indicator_id, expr)).all())


@pytest.mark.parametrize("seed", range(12))
def test_every_indicator_maps_to_its_node_and_other_ids_to_minus_one(seed):
    rng = random.Random(seed)
    n_ind, n_cols = rng.randint(1, 40), rng.randint(1, 8)
    pool = rng.sample(range(1, 4 * n_ind + 10), n_ind + rng.randint(0, 2 * n_ind))
    ind_ids = pool[:n_ind]  # this version's indicators; the rest of the pool: other versions' ids
    if seed % 3 == 0:
        ind_ids.sort()  # the usual layout: a version's ids ascending in framework order
    col_parent = np.array(sorted(rng.randrange(n_cols) for _ in range(n_ind)) if seed % 2 else
                          [rng.randrange(n_cols) for _ in range(n_ind)], dtype=np.int64)
    skip = {j for j in range(n_ind) if rng.random() < 0.25}
    info = SimpleNamespace(ind_ids=tuple(ind_ids), col_parent=col_parent)
    probe = sorted(set(pool) | {0, max(pool) + 1, max(pool) + 7})
    got = _mapped(info, skip, probe)
    for j, iid in enumerate(ind_ids):
        if j not in skip:
            assert got[iid] == col_parent[j], (iid, j)
    for iid in set(probe) - set(ind_ids):
        assert got[iid] == -1, iid


def test_two_nodes_with_interleaved_ids():
    # ids 10, 12, 14 under column 0 and 11, 13 under column 1; 15 is another version's
    info = SimpleNamespace(ind_ids=(10, 11, 12, 13, 14), col_parent=np.array([0, 1, 0, 1, 0]))
    assert _mapped(info, set(), [9, 10, 11, 12, 13, 14, 15]) == {9: -1, 10: 0, 11: 1, 12: 0, 13: 1, 14: 0, 15: -1}
    # column 1's ids left out: 10..14 may form one run under column 0, 15 stays outside
    got = _mapped(info, {1, 3}, [10, 12, 14, 15])
    assert got == {10: 0, 12: 0, 14: 0, 15: -1}
