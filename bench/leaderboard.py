"""Benchmark: the public leaderboard (HTML and JSON) vs a trivial endpoint, under gunicorn.

    python -m bench.leaderboard [--duration 10] [--connections 64] [--repeat 3] [--workers N]

Builds a temporary SQLite database with a published snapshot (and the previous one, so the
"change" column is real) of Hà Nội's 30 districts and ~580 generated communes, starts its own
redis-server (campaign.devserver.start_redis) and the app under gunicorn with the shipped
gunicorn.conf.py (ProductionConfig), warms the cache as the publish task does
(``leaderboard_cache.warm``), then drives, on loopback, with wrk (``-t2 -c64 --latency``; a
small threaded Python generator if wrk is missing) the three URLs in the same run:

    /leaderboard  (HTML, district level)   /api/v1/campaigns/<slug>/leaderboard  (page 1: all 30 rows)
    /leaderboard?campaign=bench-hn126   (Hà Nội's 126 commune-level units, two-tier: page 1 of 3)
    /leaderboard?campaign=bench-vn3321  (the country's 3,321 commune-level units: page 1 of 67)
    /ping

The two big boards use the real names and GSO codes of the official list from 1 July 2025
(vietnam-provinces). Each round runs the five back to back; the figures are the median over
``--repeat`` rounds. The load generator shares the 2 cores with the server (see
../shared/docs/performance-reliability.md §8). Last line:

    leaderboard: html_rps=… json_rps=… trivial_rps=… html_ratio=… json_ratio=…
                 html126_ratio=… html3321_ratio=… p99_ms=… p99_ratio=…   (one line)

(p99_ms is the worst of the four boards' medians of wrk's 99th percentile latency; p99_ratio is the
worst board's median p99 ÷ the trivial endpoint's median p99 in the same run: goal ≤ 1.25.)
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WRK = "/usr/bin/wrk"
SLUG = "bench-leaderboard"
SLUG_HN = "bench-hn126"  # Hà Nội's 126 commune-level units (two-tier)
SLUG_VN = "bench-vn3321"  # the country's 3,321 commune-level units (two-tier)


def framework_doc() -> dict:
    groups = []
    for code, name, pts in (("I", "Kinh tế", 40), ("II", "Văn hoá – xã hội", 35), ("III", "Quốc phòng – an ninh", 25)):
        groups.append({"code": code, "name": {"vi": name, "en": f"Group {code}"}, "kind": "regular", "max_points": pts,
                       "children": [{"code": f"{code}.1", "name": {"vi": f"Tiêu chí {code}.1", "en": f"Criterion {code}.1"},
                                     "max_points": pts, "value_type": "number", "min": 0, "max": pts,
                                     "rule": {"kind": "manual"}}]})
    return {"format": "thidua-framework/1", "code": "bench-fw", "scale": 100,
            "name": {"vi": "Khung benchmark", "en": "Benchmark framework"}, "groups": groups}


def build_database(app, big_boards: bool = True) -> tuple[int, dict]:
    """30 districts + their communes, 6 clusters, two published snapshots; and the two big two-tier
    boards (``_big_campaigns``). Returns (run id of the district campaign, counts)."""
    from campaign.extensions import db
    from campaign.hanoi import DISTRICTS
    from campaign.models import Campaign, CampaignUnit, Cluster, Unit
    from campaign.models.base import utcnow
    from campaign.services.setup.frameworks import install_version

    rng = random.Random(7)
    bands = [{"code": "xuat_sac", "min_total": 90, "floor_pct": 0}, {"code": "tot", "min_total": 75, "floor_pct": 0},
             {"code": "hoan_thanh", "min_total": 50, "floor_pct": 0}]
    with app.app_context():
        db.create_all()
        version = install_version(framework_doc())
        camp = Campaign(slug=SLUG, name="Phong trào thi đua benchmark", name_en="Benchmark campaign", status="published",
                        framework_version_id=version.id, settings={"bands": bands, "show_intervals": True},
                        results_public=True)
        db.session.add(camp)
        db.session.flush()
        clusters = []
        for i in range(6):
            c = Cluster(code=f"C{i + 1}", name=f"Cụm thi đua số {i + 1}", name_en=f"Cluster {i + 1}", campaign_id=camp.id)
            db.session.add(c)
            clusters.append(c)
        db.session.flush()
        districts, communes = [], []
        for i, d in enumerate(DISTRICTS):
            unit = Unit(code=d.code, name=d.name, name_en=d.name_en, kind=d.kind, level=2, population=d.population)
            db.session.add(unit)
            districts.append((unit, clusters[i % 6]))
        db.session.flush()
        n = 0
        for unit, cl in districts:
            d = next(x for x in DISTRICTS if x.code == unit.code)
            for j in range(d.wards + d.communes + d.townships):
                n += 1
                kind = "ward" if j < d.wards else ("commune" if j < d.wards + d.communes else "township")
                prefix = "Phường" if kind == "ward" else "Xã"
                child = Unit(code=f"{unit.code}{j + 1:03d}", name=f"{prefix} {unit.name.split(' ', 1)[1]} {j + 1}",
                             kind=kind, level=3, parent_id=unit.id, is_demo=True)
                db.session.add(child)
                communes.append((child, cl))
        db.session.flush()
        for unit, cl in districts + communes:
            db.session.add(CampaignUnit(campaign_id=camp.id, unit_id=unit.id, cluster_id=cl.id))
        now = utcnow()
        last = _publish_rounds(camp, version, ((2, districts), (3, communes)), bands, rng, now)
        big = _big_campaigns(version, bands, rng, now - timedelta(hours=1)) if big_boards else {}
        db.session.execute(__import__("sqlalchemy").text("ANALYZE"))
        db.session.commit()
        return last.id, {"districts": len(districts), "communes": len(communes), **big}


def _publish_rounds(camp, version, levels, bands: list[dict], rng: random.Random, now) -> object:
    """Two published snapshots (30 days apart) of ``levels`` = [(level, [(unit, cluster)])]; returns the last."""
    from campaign.extensions import db
    from campaign.models import ScoreRun, UnitResult

    previous = None
    for round_no in range(2):
        run = ScoreRun(campaign_id=camp.id, kind="snapshot", status="done", framework_version_id=version.id,
                       published_at=now - timedelta(days=30 * (1 - round_no)), label=f"Đợt {round_no + 1}",
                       previous_snapshot_id=previous.id if previous else None)
        db.session.add(run)
        db.session.flush()
        for level, members in levels:
            scored = []
            for unit, cl in members:
                g = {"I": round(rng.uniform(20, 40), 1), "II": round(rng.uniform(15, 35), 1),
                     "III": round(rng.uniform(10, 25), 1)}
                scored.append((unit, cl, g, round(sum(g.values()), 1)))
            scored.sort(key=lambda x: -x[3])
            rank_of, in_cluster, count = {}, {}, {}
            for pos, item in enumerate(scored):
                rank_of.setdefault(item[3], pos + 1)
                count[item[3]] = count.get(item[3], 0) + 1
            for item in scored:
                in_cluster.setdefault(item[1].id if item[1] else None, []).append(item)
            cl_rank = {}
            for items in in_cluster.values():
                firsts = {}
                for pos, it in enumerate(items):
                    firsts.setdefault(it[3], pos + 1)
                    cl_rank[it[0].id] = firsts[it[3]]
            db.session.add_all(UnitResult(
                run_id=run.id, unit_id=unit.id, level=level, cluster_id=cl.id if cl else None, total=total,
                rank=rank_of[total], rank_in_cluster=cl_rank[unit.id], tied=count[total] > 1,
                band=next((b["code"] for b in bands if total >= b["min_total"]), "khong_hoan_thanh"), group_scores=g,
                interval_low=round(total - (spread := rng.uniform(0.5, 3)), 1), interval_high=round(total + spread, 1),
                explanation={"indicators": [{"code": f"{k}.1", "points": v, "max_points": {"I": 40, "II": 35, "III": 25}[k]}
                                            for k, v in g.items()]})
                for unit, cl, g, total in scored)
        db.session.commit()
        previous = run
    return previous


def _big_campaigns(version, bands: list[dict], rng: random.Random, now) -> dict:
    """Two two-tier campaigns on the official list from 1 July 2025 (vietnam-provinces): Hà Nội's 126
    commune-level units, and the country's 3,321 (one cluster per province). Published before the
    district campaign, which stays the default board."""
    from campaign.extensions import db
    from campaign.importers.official import official_list, provinces
    from campaign.models import Campaign, CampaignUnit, Cluster, Unit

    by_province = {}
    for code, _name in provinces():
        by_province[code] = [Unit(code=u.code, name=u.name, kind=u.kind, level=3)
                             for u in official_list(code, with_lineage=False).units[1:]]
        db.session.add_all(by_province[code])
    db.session.flush()
    counts = {}
    for slug, name, codes, per_province in ((SLUG_HN, "Thi đua cấp xã Hà Nội", ["01"], False),
                                            (SLUG_VN, "Thi đua cấp xã toàn quốc", list(by_province), True)):
        camp = Campaign(slug=slug, name=name, name_en=name, status="published", framework_version_id=version.id,
                        settings={"bands": bands, "show_intervals": True}, results_public=True)
        db.session.add(camp)
        db.session.flush()
        members = []
        for code in codes:
            cl = None
            if per_province:
                cl = Cluster(code=f"P{code}", name=f"Cụm tỉnh {code}", name_en=f"Province {code}", campaign_id=camp.id)
                db.session.add(cl)
                db.session.flush()
            members += [(u, cl) for u in by_province[code]]
        db.session.add_all(CampaignUnit(campaign_id=camp.id, unit_id=u.id, cluster_id=cl.id if cl else None)
                           for u, cl in members)
        _publish_rounds(camp, version, ((3, members),), bands, rng, now)
        counts[slug] = len(members)
    return counts


def parse_wrk(out: str) -> dict:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    p99_ms = float(p99.group(1)) * scale[p99.group(2)] if p99 else float("nan")
    p50 = re.search(r"^\s+50%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    p50_ms = float(p50.group(1)) * scale[p50.group(2)] if p50 else float("nan")
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    sock = re.search(r"Socket errors:(.*)", out)
    return {"rps": rps, "p99_ms": p99_ms, "p50_ms": p50_ms, "non2xx": int(non2xx.group(1)) if non2xx else 0,
            "socket_errors": sock.group(1).strip() if sock else ""}


def run_wrk(url: str, duration: int, connections: int, cookie: str | None = None) -> dict:
    extra = ["-H", f"Cookie: {cookie}"] if cookie else []
    out = subprocess.run([WRK, "-t2", f"-c{connections}", f"-d{duration}s", "--latency",
                          "-H", "Accept-Encoding: gzip", *extra, url], capture_output=True, text=True, check=True).stdout
    return parse_wrk(out)


def run_python_load(url: str, duration: int, connections: int, cookie: str | None = None) -> dict:
    """Fallback closed-loop generator (much weaker than wrk: it measures itself on fast endpoints)."""
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    path = parts.path + (("?" + parts.query) if parts.query else "")
    lat, errors = [], [0]
    stop = time.monotonic() + duration
    lock = threading.Lock()

    def worker():
        mine = []
        while time.monotonic() < stop:
            t0 = time.perf_counter()
            try:
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
                conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
                resp = conn.getresponse()
                resp.read()
                conn.close()
                if resp.status >= 400:
                    errors[0] += 1
            except OSError:
                errors[0] += 1
            mine.append(time.perf_counter() - t0)
        with lock:
            lat.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - t0
    lat.sort()
    return {"rps": len(lat) / elapsed, "p99_ms": lat[int(len(lat) * 0.99) - 1] * 1000 if lat else float("nan"),
            "p50_ms": lat[len(lat) // 2] * 1000 if lat else float("nan"), "non2xx": errors[0], "socket_errors": ""}


def inprocess_cpu(app, paths: dict[str, str], batches: int = 40, per_batch: int = 150) -> dict[str, float]:
    """CPU microseconds per request of each path through the WSGI app in this process (no network, no
    gunicorn, no wrk): the least of ``batches`` interleaved batches, so other processes' load hardly moves it."""
    from werkzeug.test import EnvironBuilder

    envs = {k: EnvironBuilder(path=p, headers={"Accept-Encoding": "gzip"}).get_environ() for k, p in paths.items()}

    def call(env: dict) -> None:
        for _chunk in app(dict(env), lambda status, headers, exc_info=None: None):
            pass

    for env in envs.values():
        call(env)
    best = dict.fromkeys(envs, float("inf"))
    for _ in range(batches):
        for name, env in envs.items():
            t0 = time.process_time()
            for _ in range(per_batch):
                call(env)
            best[name] = min(best[name], (time.process_time() - t0) / per_batch * 1e6)
    return best


@contextmanager
def served_board(workers: int | None = None, keep: bool = False, big_boards: bool = False) -> Iterator[dict]:
    """The published demo-like board under gunicorn (ProductionConfig) with its own Redis, cache warmed.

    Yields ``{"base", "run_id", "counts", "app", "env", "builds_before"}``; stops everything after.
    Shared by this benchmark and ``bench.pageweight``; ``big_boards`` adds the two two-tier campaigns of
    126 and 3,321 commune-level units (this benchmark only: they add about a minute of setup).
    """
    sys.path.insert(0, str(ROOT))
    import socket

    def free_port() -> int:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return sock.getsockname()[1]

    tmp = Path(tempfile.mkdtemp(prefix="thidua-bench-lb-"))
    redis_port, web_port = free_port(), free_port()
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    env = dict(os.environ, THIDUA_CONFIG="config.ProductionConfig", THIDUA_SECRET_KEY="bench-" + os.urandom(16).hex(),
               THIDUA_DATABASE_URL=f"sqlite:///{tmp / 'bench.sqlite'}", THIDUA_REDIS_URL=redis_url,
               THIDUA_INSTANCE_DIR=str(tmp / "instance"), THIDUA_UPLOAD_FOLDER=str(tmp / "uploads"))
    if workers:
        env["WEB_CONCURRENCY"] = str(workers)
    for key in ("THIDUA_CONFIG", "THIDUA_SECRET_KEY", "THIDUA_DATABASE_URL", "THIDUA_REDIS_URL",
                "THIDUA_INSTANCE_DIR", "THIDUA_UPLOAD_FOLDER"):
        os.environ[key] = env[key]
    from campaign.devserver import start_redis, wait_for_port  # after the environment is set

    redis_proc = start_redis(redis_port, tmp / "redis", appendonly=False)
    web = None
    try:
        import config
        from campaign import create_app
        from campaign.services.results import leaderboard_cache

        app = create_app(config.ProductionConfig, SQLALCHEMY_DATABASE_URI=env["THIDUA_DATABASE_URL"],
                         REDIS_URL=redis_url, SECRET_KEY=env["THIDUA_SECRET_KEY"])
        t0 = time.perf_counter()
        run_id, counts = build_database(app, big_boards)
        big = f"; two-tier boards of {counts[SLUG_HN]} and {counts[SLUG_VN]} commune-level units" if big_boards else ""
        print(f"data: {counts['districts']} districts, {counts['communes']} communes, snapshot {run_id}{big} "
              f"({time.perf_counter() - t0:.1f} s)", flush=True)
        with app.app_context():
            t0 = time.perf_counter()
            warmed = leaderboard_cache.warm(run_id)["built"]
            for camp in leaderboard_cache.directory()["campaigns"]:
                if camp["slug"] != SLUG:  # the big boards, in the same generation
                    warmed += leaderboard_cache.warm(camp["runs"][0]["id"], new_generation=False)["built"]
            print(f"warm_cache: {len(warmed)} payload groups in {time.perf_counter() - t0:.2f} s", flush=True)
            builds_before = leaderboard_cache.builds()

        gunicorn = str(Path(sys.executable).parent / "gunicorn")
        with open(tmp / "gunicorn.log", "wb") as log:  # the child keeps its own descriptor
            web = subprocess.Popen([gunicorn, "-c", str(ROOT / "gunicorn.conf.py"), "-b", f"127.0.0.1:{web_port}",
                                    "wsgi:app"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log,
                                   start_new_session=True)
        wait_for_port(web_port, timeout=30)
        yield {"base": f"http://127.0.0.1:{web_port}", "run_id": run_id, "counts": counts, "app": app, "env": env,
               "builds_before": builds_before}
    finally:
        if web is not None and web.poll() is None:
            web.send_signal(signal.SIGTERM)
            try:
                web.wait(15)
            except subprocess.TimeoutExpired:
                web.kill()
        redis_proc.terminate()
        try:
            redis_proc.wait(5)
        except subprocess.TimeoutExpired:
            redis_proc.kill()
        if not keep:
            shutil.rmtree(tmp, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers (default: gunicorn.conf.py)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args(argv)

    with served_board(args.workers, args.keep, big_boards=True) as served:
        base, run_id, counts, app, env = (served[k] for k in ("base", "run_id", "counts", "app", "env"))
        from campaign.services.results import leaderboard_cache

        builds_before = served["builds_before"]
        urls = {"html": f"{base}/leaderboard", "json": f"{base}/api/v1/campaigns/{SLUG}/leaderboard?level=district",
                "html126": f"{base}/leaderboard?campaign={SLUG_HN}", "html3321": f"{base}/leaderboard?campaign={SLUG_VN}",
                "trivial": f"{base}/ping"}
        # correctness + warm-up of every worker's in-process layer
        first = urllib.request.urlopen(urls["html"])
        html = first.read().decode()
        cookie = (first.headers.get("Set-Cookie") or "").split(";", 1)[0] or None
        body = json.loads(urllib.request.urlopen(urls["json"]).read())
        assert "Quận Ba Đình" in html and 'js-plotly' in html, "leaderboard page is not the expected page"
        assert body["snapshot_id"] == run_id and len(body["rows"]) == counts["districts"], body.keys()
        assert body["paging"]["total"] == counts["districts"] and body["paging"]["next"] is None, body["paging"]
        for name, slug, pages in (("html126", SLUG_HN, 3), ("html3321", SLUG_VN, 67)):
            big = urllib.request.urlopen(urls[name]).read().decode()
            assert big.count('<tr data-testid="row-') == 50 and f"Trang 1/{pages} " in big, f"{name}: not page 1 of {pages}"
            assert 'data-testid="dist-chart"' in big and 'data-testid="board-search"' in big, f"{name}: no compact chart"
            print(f"{name}: {counts[slug]} units, page 1 of {pages}, {len(big.encode())} bytes "
                  f"(the 30-district board: {len(html.encode())})", flush=True)
        gz = urllib.request.urlopen(urllib.request.Request(f"{base}/static/vendor/plotly-basic.min.js",
                                                           headers={"Accept-Encoding": "gzip"}))
        print(f"plotly-basic.min.js: Content-Encoding={gz.headers.get('Content-Encoding')} "
              f"bytes={len(gz.read())}", flush=True)
        tool = "wrk" if os.path.exists(WRK) else "python"
        drive = run_wrk if tool == "wrk" else run_python_load
        for url in urls.values():
            drive(url, 2, args.connections)  # warm-up
        results = {k: [] for k in urls}
        for i in range(args.repeat):
            for name, url in urls.items():
                r = drive(url, args.duration, args.connections)
                results[name].append(r)
                print(f"round {i + 1} {name:7s} rps={r['rps']:8.0f} p50={r['p50_ms']:.2f}ms p99={r['p99_ms']:.2f}ms "
                      f"non2xx={r['non2xx']} socket_errors={r['socket_errors'] or 0}", flush=True)
        # informational: a returning visitor (session cookie with its CSRF token: no new session)
        returning = [drive(urls["html"], args.duration, args.connections, cookie) for _ in range(args.repeat)]
        ret = statistics.median(x["rps"] for x in returning)
        print(f"returning visitor html (session cookie): rps={ret:.0f} "
              f"p99={statistics.median(x['p99_ms'] for x in returning):.2f}ms (not part of the gate)", flush=True)
        cpu = inprocess_cpu(app, {k: u[len(base):] for k, u in urls.items()})
        print("in-process CPU per request (µs, least of 40 batches; informational, robust to other load): "
              + " ".join(f"{k}={v:.0f}" for k, v in cpu.items()) + " | ÷ trivial: "
              + " ".join(f"{k}={v / cpu['trivial']:.2f}" for k, v in cpu.items() if k != "trivial"), flush=True)
        with app.app_context():
            builds_after = leaderboard_cache.builds()
        med = {k: statistics.median(x["rps"] for x in v) for k, v in results.items()}
        p99 = {k: statistics.median(x["p99_ms"] for x in v) for k, v in results.items()}
        print(f"setup: nproc={os.cpu_count()} tool={tool} -t2 -c{args.connections} -d{args.duration}s x{args.repeat} "
              f"gunicorn.conf.py workers={env.get('WEB_CONCURRENCY', '2')} sync; rebuilds during load="
              f"{builds_after - builds_before}; p99 trivial={p99['trivial']:.2f}ms", flush=True)
        boards = [k for k in urls if k != "trivial"]
        ratios = {k: p99[k] / p99["trivial"] for k in boards}
        print("p99 ÷ trivial p99: " + " ".join(f"{k}={v:.2f}" for k, v in ratios.items())
              + " (p99_ratio is the worst of them)", flush=True)
        print(f"leaderboard: html_rps={med['html']:.0f} json_rps={med['json']:.0f} trivial_rps={med['trivial']:.0f} "
              f"html_ratio={med['html'] / med['trivial']:.2f} json_ratio={med['json'] / med['trivial']:.2f} "
              f"html126_ratio={med['html126'] / med['trivial']:.2f} html3321_ratio={med['html3321'] / med['trivial']:.2f} "
              f"p99_ms={max(p99[k] for k in boards):.1f} p99_ratio={max(ratios.values()):.2f}", flush=True)
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
