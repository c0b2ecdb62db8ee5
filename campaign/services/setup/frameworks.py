"""Installing framework documents as immutable versions with one row per node."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator

import sqlalchemy as sa

from campaign.extensions import db
from campaign.models import Framework, FrameworkVersion, IndicatorNode


def canonical_json(doc: dict) -> str:
    return json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def digest(doc: dict) -> str:
    return hashlib.sha256(canonical_json(doc).encode()).hexdigest()


def _name(node: dict, lang: str) -> str | None:
    name = node.get("name")
    if isinstance(name, dict):
        return name.get(lang) or (name.get("vi") if lang == "vi" else None)
    return name if lang == "vi" else None


def iter_nodes(doc: dict) -> Iterator[tuple[dict, dict | None, dict, int]]:
    """Yield (node, parent, group, depth) in document order."""

    def walk(node: dict, parent: dict | None, group: dict, depth: int):
        yield node, parent, group, depth
        for child in node.get("children") or ():
            yield from walk(child, node, group, depth + 1)

    for group in doc.get("groups") or ():
        yield from walk(group, None, group, 0)


def install_version(doc: dict, *, framework: Framework | None = None, is_template: bool = False,
                    user_id: int | None = None) -> FrameworkVersion:
    """Store ``doc`` as the next version of its framework (created when new); no commit."""
    if framework is None:
        framework = db.session.scalar(sa.select(Framework).where(Framework.code == doc["code"]))
    if framework is None:
        framework = Framework(code=doc["code"], name=_name(doc, "vi") or doc["code"],
                              name_en=_name(doc, "en"), is_template=is_template)
        db.session.add(framework)
        db.session.flush()
    latest = db.session.scalar(
        sa.select(sa.func.max(FrameworkVersion.version)).where(FrameworkVersion.framework_id == framework.id))
    version = FrameworkVersion(framework_id=framework.id, version=(latest or 0) + 1, document=doc,
                               digest=digest(doc), scale=float(doc.get("scale", 100)),
                               created_by_id=user_id)
    db.session.add(version)
    db.session.flush()
    ids: dict[int, int] = {}
    for position, (node, parent, group, depth) in enumerate(iter_nodes(doc)):
        rule = node.get("rule")
        evidence = node.get("evidence") or {}
        row = IndicatorNode(
            framework_version_id=version.id, code=node["code"],
            parent_id=ids.get(id(parent)) if parent is not None else None,
            group_code=group["code"], depth=depth, position=position,
            kind=group.get("kind", "regular"), is_indicator=rule is not None,
            name=_name(node, "vi") or node["code"], name_en=_name(node, "en"),
            max_points=float(node.get("max_points") or 0),
            cap=float(node["cap"]) if node.get("cap") is not None else None,
            value_type=node.get("value_type"), rule_kind=rule.get("kind") if rule else None,
            evidence_required=bool(evidence.get("required")),
        )
        db.session.add(row)
        db.session.flush()
        ids[id(node)] = row.id
    return version


def indicators(version_id: int) -> list[IndicatorNode]:
    return list(db.session.scalars(
        sa.select(IndicatorNode)
        .where(IndicatorNode.framework_version_id == version_id, IndicatorNode.is_indicator)
        .order_by(IndicatorNode.position)))
