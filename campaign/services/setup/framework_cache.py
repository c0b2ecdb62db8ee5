"""A framework version parsed, compiled and mapped to its database node ids, once per process.

The one cache of parsed frameworks: the recompute and the ledger turn rows keyed by
``IndicatorNode.id`` into matrix columns, the entry form and the judge's page read the parsed
tree (``parsed``); parsing the YAML-sized document for every change would dominate a one-entry
refresh. A version's document never changes, and the key includes its digest anyway.
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import sqlalchemy as sa
from flask_babel import gettext as _

from campaign.extensions import db
from campaign.models import FrameworkVersion, IndicatorNode
from campaign.services.errors import NotFound
from scoring.framework import Framework as EngineFramework
from scoring.framework import parse_framework
from scoring.vector import CompiledRules, compile_rules

ROW_KINDS = ("judged", "manual")  # indicators whose points may come from judges


@dataclass(frozen=True)
class FrameworkInfo:
    version_id: int
    digest: str
    fw: EngineFramework
    compiled: CompiledRules
    ind_ids: tuple[int, ...]  # IndicatorNode.id per compiled column
    col_of: dict  # IndicatorNode.id -> column
    node_code: dict  # IndicatorNode.id -> code (all nodes)
    row_cols: frozenset  # columns whose points judges may give (judged / manual rules)
    group_max: dict  # top-level group code -> max_points
    group_floors: dict  # top-level group code -> floor_pct
    # Ledger layout: the nodes that hold indicators directly, one subtotal column each.
    leaf_parents: tuple[str, ...]  # node codes, in compiled (post-order) order
    leaf_parent_ids: tuple[int, ...]  # their IndicatorNode ids
    col_parent: np.ndarray  # indicator column -> ledger column

    @property
    def ledger_col_of(self) -> dict:
        """IndicatorNode.id of a leaf parent -> ledger column."""
        return {nid: k for k, nid in enumerate(self.leaf_parent_ids)}


# (database url, version id, document digest) -> parsed and compiled framework; least recently used out.
_CACHE: OrderedDict[tuple, FrameworkInfo] = OrderedDict()
MAX_CACHED = 128


def parsed(version_id: int) -> EngineFramework:
    """The engine's parsed framework of a version (what the entry form and the judge's page need)."""
    return framework_info(version_id).fw


def framework_info(version_id: int) -> FrameworkInfo:
    """The version parsed, compiled and mapped to node ids: one SELECT when cached, else built once."""
    digest = db.session.scalar(sa.select(FrameworkVersion.digest).where(FrameworkVersion.id == version_id))
    if digest is None:
        raise NotFound(_("Không tìm thấy bảng chấm điểm."))
    key = (str(db.engine.url), version_id, digest)
    info = _CACHE.get(key)
    if info is not None:
        _CACHE.move_to_end(key)
        return info
    version = db.session.get(FrameworkVersion, version_id)
    fw = parse_framework(version.document)
    compiled = compile_rules(fw)
    rows = db.session.execute(sa.select(IndicatorNode.id, IndicatorNode.code, IndicatorNode.parent_id)
                              .where(IndicatorNode.framework_version_id == version_id)).all()
    by_code = {code: nid for nid, code, _p in rows}
    node_code = {nid: code for nid, code, _p in rows}
    parent_of = {code: node_code.get(p) for _n, code, p in rows}
    ind_ids = tuple(by_code[c] for c in compiled.codes)
    leaf_parents = tuple(n.code for n in compiled.nodes if any(t == "i" for t, _r in n.children))
    k_of = {code: k for k, code in enumerate(leaf_parents)}
    info = FrameworkInfo(
        version_id=version_id, digest=version.digest, fw=fw, compiled=compiled, ind_ids=ind_ids,
        col_of={nid: j for j, nid in enumerate(ind_ids)}, node_code=node_code,
        row_cols=frozenset(j for j, r in enumerate(compiled.rules) if r.kind in ROW_KINDS),
        group_max={g.code: g.max_points for g in fw.groups},
        group_floors={g.code: g.floor_pct for g in fw.groups if g.floor_pct is not None},
        leaf_parents=leaf_parents, leaf_parent_ids=tuple(by_code[c] for c in leaf_parents),
        col_parent=np.array([k_of[parent_of[c]] for c in compiled.codes], dtype=np.int64),
    )
    _CACHE[key] = info
    while len(_CACHE) > MAX_CACHED:
        _CACHE.popitem(last=False)
    return info
