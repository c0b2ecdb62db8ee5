"""Leaderboard cache: invalidation on publish, no provisional leak, single rebuild, Redis down,
SQL statements per public GET, no Plotly figure built per request, compressed plotly.js."""
from __future__ import annotations

import copy
import gzip
import re
import threading
import time
from pathlib import Path

import pytest
import redis as redis_lib

from campaign import charts
from campaign.extensions import db
from campaign.models import ScoreRun, UnitResult
from campaign.services.results import leaderboard as lb
from campaign.services.results import leaderboard_cache as cache
from tests.public_helpers import BANDS, SQLCounter, cluster, publish, rows_of

ROOT = Path(__file__).resolve().parents[2]
PUBLIC_GETS = ("/leaderboard", "/leaderboard?level=commune", "/leaderboard?cluster=C1",
               "/leaderboard/unit/001?campaign=c", "/leaderboard/unit/00001?campaign=c",
               "/leaderboard/overview?campaign=c", "/api/v1/campaigns", "/api/v1/campaigns/c/leaderboard",
               "/leaderboard.csv?campaign=c", "/leaderboard.xlsx?campaign=c&level=commune")


@pytest.fixture
def published(factory):
    a = factory.unit(code="001", name="Quận Ba Đình")
    b = factory.unit(code="002", name="Quận Hoàn Kiếm")
    w = factory.unit("ward", parent=a, code="00001", name="Phường Phúc Xá")
    camp = factory.campaign(units=[a, b, w], slug="c", settings={"bands": BANDS})
    c1 = cluster(camp, "C1", "Cụm Một")
    run = publish(camp, [(a, 80, 1, {"I": 80}, c1, 1), (b, 70, 2, {"I": 70}, c1, 2)])
    db.session.add(UnitResult(run_id=run.id, unit_id=w.id, level=3, total=66, rank=1, group_scores={"I": 66}))
    db.session.commit()
    return {"camp": camp, "a": a, "b": b, "w": w, "run": run, "cluster": c1}


def _text(resp) -> str:
    if resp.mimetype.endswith("spreadsheetml.sheet"):
        import io

        from openpyxl import load_workbook

        ws = load_workbook(io.BytesIO(resp.get_data())).active
        return " ".join(str(c.value) for row in ws.iter_rows() for c in row if c.value is not None)
    return resp.get_data(as_text=True)


def _codes(client, url="/leaderboard?campaign=c"):
    return [(r["code"], r["rank"]) for r in rows_of(client.get(url).get_data(as_text=True))]


def _wait_listener():
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if cache._local.listener is not None and cache._local.listener.connected:
            return
        time.sleep(0.01)
    raise AssertionError("invalidation listener did not connect")


def _stale_copy():
    loc = cache._local
    return (loc.gen, loc.directory, loc.directory_at, copy.copy(loc.items), loc.validated, loc.checked_at)


def _restore(state):
    loc = cache._local
    (loc.gen, loc.directory, loc.directory_at, loc.items, loc.validated, loc.checked_at) = state


@pytest.mark.parametrize("pubsub", [True, False], ids=["pubsub-listener", "gen-check-every-request"])
def test_new_publish_shows_at_once_even_in_a_worker_with_a_warm_local_layer(client, published, app, pubsub):
    app.config["LEADERBOARD_PUBSUB"] = pubsub
    assert _codes(client) == [("001", "1"), ("002", "2")]
    if pubsub:
        _wait_listener()
    assert _codes(client) == [("001", "1"), ("002", "2")]
    assert client.get("/api/v1/campaigns/c/leaderboard").get_json()["snapshot_id"] == published["run"].id
    # Simulate ANOTHER worker: keep this process's warm local layer exactly as it is now ...
    stale = _stale_copy()
    new = publish(published["camp"], [(published["b"], 95, 1, {"I": 95}), (published["a"], 80, 2, {"I": 80})],
                  previous=published["run"])
    cache.warm(new.id)  # what the publish task calls after its commit
    _restore(stale)
    # ... its very next request serves the new snapshot (the listener has acknowledged the message
    # before warm_cache returned; without the listener, the generation is read on every request)
    assert _codes(client) == [("002", "1"), ("001", "2")]
    assert client.get("/api/v1/campaigns/c/leaderboard").get_json()["snapshot_id"] == new.id


def test_with_a_live_listener_a_cached_get_makes_no_redis_round_trip(client, published, app, monkeypatch):
    from campaign.redis_client import get_redis

    client.get("/leaderboard")
    _wait_listener()
    for _ in range(2):
        client.get("/leaderboard")
        client.get("/api/v1/campaigns/c/leaderboard")
    r = get_redis()
    calls = []
    real = r.execute_command
    monkeypatch.setattr(r, "execute_command", lambda *a, **k: calls.append(a[0]) or real(*a, **k))
    assert client.get("/leaderboard").status_code == 200
    assert client.get("/api/v1/campaigns/c/leaderboard").status_code == 200
    assert calls == []


def test_publish_without_warm_cache_is_still_seen_at_once(client, published):
    """The after-commit hook starts a new generation whenever a run's publication changes."""
    assert _codes(client) == [("001", "1"), ("002", "2")]
    publish(published["camp"], [(published["b"], 95, 1, {"I": 95}), (published["a"], 80, 2, {"I": 80})],
            previous=published["run"])
    assert _codes(client) == [("002", "1"), ("001", "2")]


def test_unpublished_or_provisional_results_never_leak(client, published, factory):
    camp = published["camp"]
    secret = factory.unit(code="BM777X", name="Đơn vị bí mật")
    # a provisional run, an unpublished snapshot and a what-if: all with the secret unit on top
    for kind, published_flag in (("provisional", False), ("snapshot", False), ("whatif", True)):
        run = ScoreRun(campaign_id=camp.id, kind=kind, status="done",
                       published_at=None if not published_flag else published["run"].published_at)
        db.session.add(run)
        db.session.flush()
        db.session.add(UnitResult(run_id=run.id, unit_id=secret.id, level=2, total=99, rank=1, group_scores={}))
    db.session.commit()
    cache.invalidate()
    for url in PUBLIC_GETS:
        resp = client.get(url)
        assert resp.status_code == 200, url
        assert "bí mật" not in _text(resp) and "BM777X" not in _text(resp), url
    assert client.get("/leaderboard/unit/BM777X?campaign=c").status_code == 404
    # a campaign whose results are not public disappears at once (after-commit hook)
    camp.results_public = False
    db.session.commit()
    assert 'data-testid="no-results"' in client.get("/leaderboard").get_data(as_text=True)
    assert client.get("/api/v1/campaigns/c/leaderboard").status_code == 404
    assert client.get("/api/v1/campaigns").get_json() == {"campaigns": []}
    assert client.get("/leaderboard.csv?campaign=c").status_code == 404


def test_cache_miss_rebuilds_once_under_the_lock(app, published, monkeypatch):
    """16 concurrent requests on a cold cache: each payload is built exactly once."""
    cache.warm(published["run"].id)
    cache.invalidate()
    cache.reset_local()
    calls = []
    real = lb.run_rows

    def slow_rows(*args, **kwargs):
        calls.append(1)
        time.sleep(0.3)  # the window in which a stampede would happen
        return real(*args, **kwargs)

    monkeypatch.setattr(lb, "run_rows", slow_rows)
    before = cache.builds()
    statuses, barrier = [], threading.Barrier(16)

    def hit():
        with app.app_context():
            c = app.test_client()
            barrier.wait()
            statuses.append(c.get("/leaderboard?campaign=c").status_code)
            db.session.remove()

    threads = [threading.Thread(target=hit) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [200] * 16
    assert len(calls) == 1
    # data:rows, data:district and the HTML fragment: three payloads, each built once
    assert cache.builds() - before == 3


def test_shared_single_flight_directly(app):
    calls = []

    def build():
        calls.append(1)
        time.sleep(0.2)
        return {"v": 42}

    results, barrier = [], threading.Barrier(12)

    def worker():
        with app.app_context():
            barrier.wait()
            results.append(cache._shared("thidua:lb:test:key", build, ttl=60, count=True))

    threads = [threading.Thread(target=worker) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [{"v": 42}] * 12 and len(calls) == 1


def test_warm_cache_builds_pages_so_first_visits_build_nothing(client, published):
    done = cache.warm(published["run"].id)
    assert "board:district:" in done["built"] and "overview" in done["built"]
    cache.reset_local()  # a fresh worker: its local layer is empty but Redis is warm
    before = cache.builds()
    assert client.get("/leaderboard").status_code == 200
    assert client.get("/api/v1/campaigns/c/leaderboard?level=district").status_code == 200
    assert client.get("/leaderboard/overview").status_code == 200
    assert cache.builds() == before


def test_public_get_runs_at_most_three_statements_and_builds_no_figure(client, published, app, monkeypatch):
    for url in PUBLIC_GETS:
        cache.invalidate()  # cold: directory, rows and the page are all rebuilt in this request
        cache.reset_local()
        with SQLCounter(db.engine) as sql:
            assert client.get(url).status_code == 200, url
        assert len(sql.statements) <= 3, (url, sql.statements)
        assert not any("GROUP BY" in s.upper() for s in sql.statements), url
    # warm (every page visited once in the current generation): no SQL, no Plotly figure built
    for url in PUBLIC_GETS:
        client.get(url)
    for name in ("leaderboard_bars", "unit_groups", "history", "score_bands", "bands_per_cluster",
                 "centroid_map", "choropleth"):
        monkeypatch.setattr(charts, name, lambda *a, **k: (_ for _ in ()).throw(AssertionError("figure built")))
    for url in PUBLIC_GETS:
        with SQLCounter(db.engine) as sql:
            assert client.get(url).status_code == 200, url
        assert sql.statements == [], url


def test_redis_down_pages_are_built_from_the_database(tmp_path, redis_server):
    from tests.conftest import make_app
    from tests.factories import Factory

    app = make_app(tmp_path, "redis://127.0.0.1:1/0")  # nothing listens on port 1
    try:
        with app.app_context():
            f = Factory(db.session)
            a, b = f.unit(code="001", name="Quận Ba Đình"), f.unit(code="002", name="Quận Hoàn Kiếm")
            camp = f.campaign(units=[a, b], slug="c", settings={"bands": BANDS})
            first = publish(camp, [(a, 80, 1, {"I": 80}), (b, 70, 2, {"I": 70})])
            assert cache.warm(first.id)["gen"] is None  # the publish does not fail either
            c = app.test_client()
            for url in ("/leaderboard", "/leaderboard/unit/001?campaign=c", "/leaderboard/overview",
                        "/api/v1/campaigns/c/leaderboard", "/leaderboard.csv"):
                cache.reset_local()
                with SQLCounter(db.engine) as sql:
                    resp = c.get(url)
                assert resp.status_code == 200, url
                assert "Ba Đình" in _text(resp), url
                assert len(sql.statements) <= 3, (url, sql.statements)
            # still never stale: a new publish is read from the database on the next request
            publish(camp, [(b, 90, 1, {"I": 90}), (a, 80, 2, {"I": 80})], previous=first)
            html = c.get("/leaderboard").get_data(as_text=True)
            assert [r["code"] for r in rows_of(html)] == ["002", "001"]
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        app._drop_test_db()


def test_redis_lost_data_starts_a_new_generation(client, published, redis_url, app):
    # (with the pub/sub listener the token is re-read within TRUST_SECONDS; check the path itself)
    app.config["LEADERBOARD_PUBSUB"] = False
    assert _codes(client) == [("001", "1"), ("002", "2")]
    redis_lib.Redis.from_url(redis_url).flushdb()  # e.g. a Redis restart without persistence
    assert _codes(client) == [("001", "1"), ("002", "2")]
    assert redis_lib.Redis.from_url(redis_url).get(cache.GEN_KEY) is not None


def test_plotly_partial_bundle_served_fingerprinted_long_cached_and_compressed(client, published):
    import brotli

    html = client.get("/leaderboard").get_data(as_text=True)
    src = re.search(r'<script defer src="(/static/vendor/plotly-basic\.min\.js\?v=[0-9a-f]{12})"', html).group(1)
    assert "cdn" not in html.lower() and "plotly.min.js" not in html  # never the 4.8 MB full bundle
    original = (ROOT / "static" / "vendor" / "plotly-basic.min.js").read_bytes()
    resp = client.get(src, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert resp.status_code == 200
    assert resp.headers["Content-Encoding"] == "br" and "Accept-Encoding" in resp.headers["Vary"]
    assert "max-age=31536000" in resp.headers["Cache-Control"] and "immutable" in resp.headers["Cache-Control"]
    assert resp.headers["Content-Type"].startswith("text/javascript")
    body = resp.get_data()
    assert len(body) < 350_000 and brotli.decompress(body) == original
    gz = client.get(src, headers={"Accept-Encoding": "gzip"})
    assert gz.headers["Content-Encoding"] == "gzip" and gzip.decompress(gz.get_data()) == original
    plain = client.get(src)
    assert "Content-Encoding" not in plain.headers and plain.get_data() == original


def test_final_page_bytes_are_bounded_and_follow_the_payload(client, published, monkeypatch):
    from campaign.public import views

    monkeypatch.setattr(views, "_BODIES_MAX", 4)
    views._bodies.clear()
    for n in range(10):  # odd query strings cannot grow the body cache past its bound
        assert client.get(f"/leaderboard?x={n}").status_code == 200
    assert 0 < len(views._bodies) <= 4
    first = client.get("/leaderboard").get_data()
    assert client.get("/leaderboard").get_data() == first  # served from the cached bytes


def test_a_publication_warms_the_cache_so_its_first_visitors_build_nothing(client, factory):
    """publishing.publish (what the worker's publish task runs) builds the hot pages after its commit."""
    from campaign.services.results import publishing, recompute

    units = [factory.unit(code="101", name="Quận Một"), factory.unit(code="102", name="Quận Hai")]
    camp = factory.campaign(units=units, slug="warm", status="appraisal")
    for u in units:
        factory.entry(camp, u, status="submitted")
    db.session.commit()
    recompute.recompute_provisional(camp.id)
    publishing.publish(camp.id)
    cache.reset_local()  # another worker: nothing in its own memory, Redis holds what the publish built
    before = cache.builds()
    assert "Quận Một" in client.get("/leaderboard?campaign=warm").get_data(as_text=True)
    assert client.get("/leaderboard/overview?campaign=warm").status_code == 200
    assert cache.builds() == before
