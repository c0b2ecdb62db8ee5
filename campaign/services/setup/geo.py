"""Map data for the public overview: district centroids and validated boundary GeoJSON.

The centroids below are APPROXIMATE (read off public maps to about ±0.02°, i.e. a couple of
kilometres); they only place one marker per district so the overview map works before an
admin uploads real boundaries. They are keyed by GSO district code (see campaign/hanoi.py).
A ``Unit.latitude/longitude`` stored in the database always wins over this table.
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from campaign.extensions import db
from campaign.importers import ImportFormatError
from campaign.importers.documents import GEOJSON_LIMITS, load_json
from campaign.models import MapLayer, Unit
from campaign.services import audit
from campaign.services.errors import DomainError

# GSO code -> (latitude, longitude), approximate centroids of Hà Nội's 30 district-level units.
APPROX_CENTROIDS: dict[str, tuple[float, float]] = {
    "001": (21.035, 105.820),  # Ba Đình
    "002": (21.029, 105.852),  # Hoàn Kiếm
    "003": (21.070, 105.818),  # Tây Hồ
    "004": (21.040, 105.890),  # Long Biên
    "005": (21.031, 105.792),  # Cầu Giấy
    "006": (21.015, 105.825),  # Đống Đa
    "007": (21.006, 105.857),  # Hai Bà Trưng
    "008": (20.975, 105.855),  # Hoàng Mai
    "009": (20.995, 105.808),  # Thanh Xuân
    "016": (21.257, 105.848),  # Sóc Sơn
    "017": (21.137, 105.847),  # Đông Anh
    "018": (21.020, 105.945),  # Gia Lâm
    "019": (21.012, 105.760),  # Nam Từ Liêm
    "020": (20.935, 105.845),  # Thanh Trì
    "021": (21.070, 105.760),  # Bắc Từ Liêm
    "250": (21.180, 105.715),  # Mê Linh
    "268": (20.960, 105.760),  # Hà Đông
    "269": (21.105, 105.480),  # Sơn Tây
    "271": (21.160, 105.380),  # Ba Vì
    "272": (21.105, 105.565),  # Phúc Thọ
    "273": (21.090, 105.670),  # Đan Phượng
    "274": (21.025, 105.700),  # Hoài Đức
    "275": (20.990, 105.620),  # Quốc Oai
    "276": (21.025, 105.555),  # Thạch Thất
    "277": (20.900, 105.680),  # Chương Mỹ
    "278": (20.860, 105.770),  # Thanh Oai
    "279": (20.850, 105.865),  # Thường Tín
    "280": (20.730, 105.900),  # Phú Xuyên
    "281": (20.710, 105.790),  # Ứng Hòa
    "282": (20.680, 105.730),  # Mỹ Đức
}

# Generous bounding box of Hà Nội (lon_min, lat_min, lon_max, lat_max).
HANOI_BBOX = (105.0, 20.4, 106.2, 21.5)
CODE_PROPERTIES = ("code", "ma", "gso_code", "GSO", "ma_huyen", "id")
MAX_GEOJSON_BYTES = GEOJSON_LIMITS.max_bytes
MAX_FEATURES = 2000


def centroid(code: str, latitude: float | None = None, longitude: float | None = None):
    """(lat, lon) of a unit: stored coordinates first, else the approximate table, else None."""
    if latitude is not None and longitude is not None:
        return (latitude, longitude)
    return APPROX_CENTROIDS.get(code)


def _feature_code(props: dict) -> str | None:
    for key in CODE_PROPERTIES:
        value = props.get(key)
        if value not in (None, ""):
            return str(value).strip()
    return None


def _rings(geometry: dict) -> list[list]:
    kind = geometry.get("type")
    coords = geometry.get("coordinates")
    if kind == "Polygon":
        return list(coords or [])
    if kind == "MultiPolygon":
        return [ring for polygon in (coords or []) for ring in polygon]
    raise ValueError(kind)


def validate_geojson(raw: bytes, known_codes: set[str] | None = None) -> tuple[dict, list[str]]:
    """Parse and check an uploaded boundary file. Returns (cleaned FeatureCollection, errors).

    Rules: a FeatureCollection of Polygon/MultiPolygon features, each with a district code
    property (one of CODE_PROPERTIES), numeric [lon, lat] positions inside Hà Nội's box,
    rings of ≥ 4 positions, no duplicate codes. The cleaned document keeps only
    ``{"code", "name"}`` properties and the geometry.
    """
    errors: list[str] = []
    if len(raw) > MAX_GEOJSON_BYTES:
        return {}, [_("Tệp quá lớn (tối đa %(mb)s MB).", mb=MAX_GEOJSON_BYTES // (1024 * 1024))]
    try:
        doc = load_json(raw, GEOJSON_LIMITS)  # bounded depth: deep nesting is refused, not a RecursionError
    except ImportFormatError as exc:
        return {}, [exc.message]
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection" or not isinstance(doc.get("features"), list):
        return {}, [_("Cần một GeoJSON kiểu FeatureCollection.")]
    features = doc["features"]
    if not features:
        return {}, [_("Tệp không có đối tượng (feature) nào.")]
    if len(features) > MAX_FEATURES:
        return {}, [_("Quá nhiều đối tượng (tối đa %(n)s).", n=MAX_FEATURES)]
    lon_min, lat_min, lon_max, lat_max = HANOI_BBOX
    seen: set[str] = set()
    cleaned = []
    for i, feature in enumerate(features, start=1):
        if not isinstance(feature, dict) or not isinstance(feature.get("geometry"), dict):
            errors.append(_("Đối tượng %(i)s: thiếu hình học (geometry).", i=i))
            continue
        props = feature.get("properties") or {}
        code = _feature_code(props) if isinstance(props, dict) else None
        if not code:
            errors.append(_("Đối tượng %(i)s: thiếu mã đơn vị (thuộc tính code).", i=i))
            continue
        if code in seen:
            errors.append(_("Mã %(code)s xuất hiện nhiều lần.", code=code))
            continue
        seen.add(code)
        if known_codes is not None and code not in known_codes:
            errors.append(_("Mã %(code)s không khớp đơn vị cấp huyện nào.", code=code))
            continue
        try:
            rings = _rings(feature["geometry"])
        except ValueError:
            errors.append(_("Đối tượng %(code)s: chỉ chấp nhận Polygon hoặc MultiPolygon.", code=code))
            continue
        bad = False
        for ring in rings:
            if not isinstance(ring, list) or len(ring) < 4:
                bad = True
                break
            for pos in ring:
                if (not isinstance(pos, list) or len(pos) < 2
                        or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in pos[:2])):
                    bad = True
                    break
                if not (lon_min <= pos[0] <= lon_max and lat_min <= pos[1] <= lat_max):
                    bad = True
                    break
            if bad:
                break
        if bad or not rings:
            errors.append(_("Đối tượng %(code)s: toạ độ không hợp lệ hoặc nằm ngoài Hà Nội (cần [kinh độ, vĩ độ]).",
                            code=code))
            continue
        name = props.get("name") or props.get("ten") or ""
        cleaned.append({"type": "Feature", "properties": {"code": code, "name": str(name)[:200]},
                        "geometry": {"type": feature["geometry"]["type"],
                                     "coordinates": feature["geometry"]["coordinates"]}})
    return {"type": "FeatureCollection", "features": cleaned}, errors


def polygons(feature: dict) -> list[list[list[float]]]:
    """Outer rings of a cleaned feature, as lists of [lon, lat]."""
    geometry = feature["geometry"]
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"][0]]
    return [polygon[0] for polygon in geometry["coordinates"]]


def store_layer(raw: bytes, name: str, user_id: int | None) -> MapLayer:
    """Validate and store a boundary layer; it replaces the active one. Raises DomainError."""
    known = set(db.session.scalars(sa.select(Unit.code).where(Unit.level == 2)))
    doc, errors = validate_geojson(raw, known or None)
    if errors:
        raise DomainError("; ".join(errors[:10]) + (" …" if len(errors) > 10 else ""))
    previous = db.session.scalars(sa.select(MapLayer).where(MapLayer.active.is_(True))).all()
    for layer in previous:
        layer.active = False
    layer = MapLayer(name=(name or "GeoJSON")[:200], geojson=doc, uploaded_by_id=user_id, active=True)
    db.session.add(layer)
    db.session.flush()
    audit.record("map_layer.upload", "map_layer", layer.id,
                 after={"name": layer.name, "features": len(doc["features"])})
    db.session.commit()
    return layer


def active_layer_summary() -> dict[str, Any] | None:
    layer = db.session.scalar(sa.select(MapLayer).where(MapLayer.active.is_(True)).order_by(MapLayer.id.desc()).limit(1))
    if layer is None:
        return None
    return {"id": layer.id, "name": layer.name, "uploaded_at": layer.uploaded_at,
            "features": len((layer.geojson or {}).get("features", []))}
