"""Admin GeoJSON upload: validated, stored in MapLayer, and the overview becomes a choropleth."""
from __future__ import annotations

import io
import json

import pytest
import sqlalchemy as sa

from campaign.extensions import db
from campaign.models import AuditLog, MapLayer
from campaign.services.setup.geo import validate_geojson
from tests.public_helpers import BANDS, publish


def square(code, lon, lat, d=0.02):
    ring = [[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]
    return {"type": "Feature", "properties": {"code": code, "name": code}, "geometry": {"type": "Polygon", "coordinates": [ring]}}


@pytest.fixture
def setup(factory):
    a, b = factory.unit(code="001", name="Quận Ba Đình"), factory.unit(code="002", name="Quận Hoàn Kiếm")
    camp = factory.campaign(units=[a, b], slug="m", settings={"bands": BANDS})
    publish(camp, [(a, 90, 1, {"I": 90}), (b, 60, 2, {"I": 60})])
    factory.user("admin", username="boss")
    factory.user("viewer", username="xem")
    db.session.commit()
    return camp


def upload(client, payload: bytes, name="ranh-gioi.geojson"):
    return client.submit("/admin/map", {"name": "Ranh giới 2024", "geojson": (io.BytesIO(payload), name)},
                         content_type="multipart/form-data")


def test_only_admins_reach_the_upload(client, setup):
    assert client.get("/admin/map").status_code == 302  # anonymous → login
    client.login("xem")
    assert client.get("/admin/map").status_code == 403


def test_invalid_geojson_is_refused_with_reasons(client, setup):
    client.login("boss")
    resp = upload(client, b"not json")
    assert resp.status_code == 400 and "JSON" in resp.get_data(as_text=True)
    outside = {"type": "FeatureCollection", "features": [square("001", 2.35, 48.85)]}  # Paris
    resp = upload(client, json.dumps(outside).encode())
    assert resp.status_code == 400 and "ngoài Hà Nội" in resp.get_data(as_text=True)
    unknown = {"type": "FeatureCollection", "features": [square("999", 105.8, 21.0)]}
    assert "999" in upload(client, json.dumps(unknown).encode()).get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MapLayer)) == 0


def test_valid_geojson_is_stored_and_the_overview_becomes_a_choropleth(client, setup):
    assert 'data-map="centroids"' in client.get("/leaderboard/overview").get_data(as_text=True)
    client.login("boss")
    doc = {"type": "FeatureCollection", "features": [square("001", 105.81, 21.03), square("002", 105.84, 21.02)]}
    resp = upload(client, json.dumps(doc).encode())
    assert resp.status_code == 303
    layer = db.session.scalar(sa.select(MapLayer).where(MapLayer.active.is_(True)))
    assert layer is not None and [f["properties"]["code"] for f in layer.geojson["features"]] == ["001", "002"]
    assert db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "map_layer.upload")) is not None
    html = client.get("/leaderboard/overview").get_data(as_text=True)  # shown at once (after-commit hook)
    assert 'data-map="choropleth"' in html
    fig = json.loads(html.split('id="fig-map">', 1)[1].split("</script>", 1)[0])
    fills = [t.get("fillcolor") for t in fig["data"] if t.get("fill") == "toself"]
    assert len(fills) == 2 and fills[0] != fills[1]  # 90 and 60 get different colours


def test_geojson_validation(app):
    with app.test_request_context("/"):
        _check_geojson()


def _check_geojson():
    ok = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"ma": "001", "x": "drop"},
          "geometry": {"type": "Polygon", "coordinates": [[[105.8, 21.0], [105.9, 21.0], [105.9, 21.1], [105.8, 21.0]]]}}]}
    doc, errors = validate_geojson(json.dumps(ok).encode(), {"001"})
    assert errors == [] and doc["features"][0]["properties"] == {"code": "001", "name": ""}
    dup = {"type": "FeatureCollection", "features": ok["features"] * 2}
    assert len(validate_geojson(json.dumps(dup).encode(), {"001"})[1]) == 1
    line = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"code": "001"},
            "geometry": {"type": "LineString", "coordinates": [[105.8, 21.0], [105.9, 21.0]]}}]}
    assert validate_geojson(json.dumps(line).encode(), {"001"})[1]
