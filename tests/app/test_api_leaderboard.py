"""Public JSON API: campaigns, leaderboard equal to the table, OpenAPI description served."""
from __future__ import annotations

import pytest

from tests.public_helpers import BANDS, cluster, publish, rows_of


@pytest.fixture
def board(factory):
    a, b, c = (factory.unit(code=f"00{i}", name=n) for i, n in ((1, "Quận Ba Đình"), (2, "Quận Hoàn Kiếm"),
                                                               (3, "Quận Tây Hồ")))
    camp = factory.campaign(units=[a, b, c], slug="api", name="Thi đua API", settings={"bands": BANDS})
    c1 = cluster(camp, "C1", "Cụm Một")
    first = publish(camp, [(a, 70, 1, {"I": 40, "II": 30}, c1, 1), (b, 60, 2, {"I": 30, "II": 30}, c1, 2)],
                    minutes_ago=30)
    second = publish(camp, [(b, 91, 1, {"I": 51, "II": 40}, c1, 1), (a, 80, 2, {"I": 50, "II": 30}, c1, 2),
                            (c, 80, 2, {"I": 45, "II": 35})], previous=first)
    return {"camp": camp, "first": first, "second": second}


def test_campaigns_list(client, board):
    body = client.get("/api/v1/campaigns").get_json()
    assert [c["slug"] for c in body["campaigns"]] == ["api"]
    camp = body["campaigns"][0]
    assert camp["snapshot_id"] == board["second"].id
    assert [s["id"] for s in camp["snapshots"]] == [board["second"].id, board["first"].id]
    assert camp["published_at"].endswith("Z")


def test_leaderboard_json_matches_the_table(client, board):
    body = client.get("/api/v1/campaigns/api/leaderboard?level=district").get_json()
    assert body["campaign"]["slug"] == "api" and body["snapshot_id"] == board["second"].id
    assert body["published_at"].endswith("Z") and body["level"] == "district"
    assert [(r["unit_code"], r["unit_name"], r["score"], r["rank"], r["tied"], r["band"], r["group_scores"])
            for r in body["rows"]] == [
        ("002", "Quận Hoàn Kiếm", 91, 1, False, "xuat_sac", {"I": 51, "II": 40}),
        ("001", "Quận Ba Đình", 80, 2, True, "tot", {"I": 50, "II": 30}),
        ("003", "Quận Tây Hồ", 80, 2, True, "tot", {"I": 45, "II": 35})]
    table = rows_of(client.get("/leaderboard?campaign=api").get_data(as_text=True))
    assert [(r["code"], r["rank"]) for r in table] == [(r["unit_code"], str(r["rank"])) for r in body["rows"]]
    # the id works as well as the slug
    assert client.get(f"/api/v1/campaigns/{board['camp'].id}/leaderboard").get_json()["rows"] == body["rows"]


def test_leaderboard_json_cluster_and_errors(client, board):
    body = client.get("/api/v1/campaigns/api/leaderboard?cluster=C1").get_json()
    assert [(r["unit_code"], r["rank"]) for r in body["rows"]] == [("002", 1), ("001", 2)]
    assert client.get("/api/v1/campaigns/api/leaderboard?cluster=ZZ").status_code == 404
    assert client.get("/api/v1/campaigns/api/leaderboard?level=province").status_code == 400
    resp = client.get("/api/v1/campaigns/nope/leaderboard")
    assert resp.status_code == 404 and resp.get_json()["error"] == "not_found"


def test_openapi_is_served_and_describes_the_responses(client, board):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.1")
    assert set(spec["paths"]) >= {"/campaigns", "/campaigns/{ref}/leaderboard"}
    schema = spec["paths"]["/campaigns/{ref}/leaderboard"]["get"]["responses"]["200"]["content"][
        "application/json"]["schema"]
    body = client.get("/api/v1/campaigns/api/leaderboard").get_json()
    assert set(schema["required"]) <= set(body)
    row_schema = schema["properties"]["rows"]["items"]
    for row in body["rows"]:
        assert set(row_schema["required"]) <= set(row)
        assert set(row) <= set(row_schema["properties"])
