"""Soak: many officers saving drafts and submitting at once, then a consistency check.

    python -m bench.soak [--officers 200] [--minutes 10] [--think 3.0] [--database-url URL]

Starts its own redis-server, gunicorn with the shipped ``gunicorn.conf.py`` (production
config) and a real Celery worker with beat, on a fresh SQLite file (or the given disposable
database). Each simulated officer logs in, then until time is up: opens their entry, saves
new values (every tenth save carries a wrong value on purpose and must be refused with its
draft kept), thinks ``--think`` seconds on average; at the end each submits. Then waits for
the pipeline to settle and checks:

* every entry holds exactly the values its officer last saved, and is submitted;
* every provisional total equals the pure engine's ``score_entry`` on those values;
* the recompute's ledger equals a rebuild from raw rows.

Prints as its last line:

    soak: officers=… minutes=… requests=… errors=… refused_as_expected=… p50_ms=… p95_ms=… consistent=yes|no
"""
from __future__ import annotations

import argparse
import http.cookiejar
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
N_IND = 10


def framework_doc() -> dict:
    inds = []
    for k in range(N_IND):
        rule = ({"kind": "linear", "floor": 0, "target": 100} if k % 3 == 0 else
                {"kind": "target", "target": 50} if k % 3 == 1 else {"kind": "count", "per_item": 2})
        vt = "percentage" if k % 3 == 0 else ("number" if k % 3 == 1 else "count")
        inds.append({"code": f"1.{k + 1}", "name": {"vi": f"Chỉ tiêu {k + 1}"}, "max_points": 10,
                     "value_type": vt, "rule": rule})
    return {"format": "thidua-framework/1", "code": "soak", "scale": 10 * N_IND, "name": {"vi": "Khung soak"},
            "groups": [{"code": "I", "name": {"vi": "Nhóm I"}, "kind": "regular", "max_points": 10 * N_IND,
                        "children": inds}]}


def build(url: str, redis_url: str, officers: int) -> int:
    from datetime import timedelta

    from campaign import create_app
    from campaign.extensions import db
    from campaign.models import Campaign, CampaignUnit, Unit, User
    from campaign.models.base import utcnow
    from campaign.services.setup.frameworks import install_version

    app = create_app("config.DevelopmentConfig", SQLALCHEMY_DATABASE_URI=url, REDIS_URL=redis_url)
    with app.app_context():
        db.create_all()
        version = install_version(framework_doc())
        now = utcnow()
        c = Campaign(slug="soak", name="Soak", status="open", framework_version_id=version.id,
                     settings={"aggregation": "mean", "bands": [{"code": "A", "min_total": 60}]},
                     period_start=(now - timedelta(days=1)).date(), period_end=(now + timedelta(days=30)).date(),
                     submission_deadline=now + timedelta(days=20))
        db.session.add(c)
        db.session.flush()
        district = Unit(code="S00", name="Quận Soak", kind="urban_district", level=2, is_demo=True)
        db.session.add(district)
        db.session.flush()
        for k in range(officers):
            u = Unit(code=f"S{k + 1:04d}", name=f"Phường Soak {k + 1}", kind="ward", level=3,
                     parent_id=district.id, is_demo=True)
            db.session.add(u)
            db.session.flush()
            db.session.add(CampaignUnit(campaign_id=c.id, unit_id=u.id))
            user = User(username=f"soak{k + 1}", role="officer", unit_id=u.id)
            user.password_hash = _FAST_HASH
            db.session.add(user)
        db.session.commit()
        cid = c.id
        db.session.remove()
        db.engine.dispose()
    return cid


# One precomputed hash for every simulated officer (hashing 200 passwords would take a minute).
from werkzeug.security import generate_password_hash  # noqa: E402

_FAST_HASH = generate_password_hash("soak-password")


class Officer:
    def __init__(self, base: str, n: int, rng: random.Random):
        self.base, self.username, self.rng = base, f"soak{n}", rng
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.saved: dict[str, str] = {}
        self.entry_url = ""

    def request(self, path: str, data: dict | None = None, stats=None) -> tuple[int, str]:
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        t0 = time.perf_counter()
        try:
            with self.opener.open(urllib.request.Request(self.base + path, data=body), timeout=60) as resp:
                status, html, final = resp.status, resp.read().decode(), resp.url
        except urllib.error.HTTPError as exc:
            status, html, final = exc.code, exc.read().decode(), exc.url
        if stats is not None:
            stats.record(time.perf_counter() - t0, status)
        if data is None and "/unit/entries/" in final:
            self.entry_url = urllib.parse.urlsplit(final).path
        return status, html

    @staticmethod
    def token(html: str, name: str) -> str:
        m = re.search(rf'name="{name}"[^>]*value="([^"]*)"', html) or re.search(
            rf'value="([^"]*)"[^>]*name="{name}"', html)
        return m.group(1) if m else ""

    def login(self, stats) -> None:
        _s, html = self.request("/login", stats=stats)
        status, _h = self.request("/login", {"username": self.username, "password": "soak-password",
                                             "csrf_token": self.token(html, "csrf_token")}, stats)
        if status != 200:
            raise RuntimeError(f"{self.username}: login answered {status}")

    def values(self) -> dict[str, str]:
        out = {}
        for k in range(N_IND):
            code = f"1.{k + 1}"
            out[code] = (f"{self.rng.uniform(0, 100):.1f}".replace(".", ",") if k % 3 == 0
                         else str(self.rng.randint(0, 9)))
        return out

    def save(self, stats, campaign_id: int, *, bad: bool = False, submit: bool = False) -> str:
        status, html = self.request(self.entry_url or f"/unit/campaigns/{campaign_id}/entry", stats=stats)
        if status != 200:
            return "error"
        vals = self.values()
        if bad:
            vals["1.2"] = "không phải số"
        data = {"csrf_token": self.token(html, "csrf_token"), "lock_version": self.token(html, "lock_version"),
                "codes": list(vals), "action": "submit" if submit else "save",
                **{f"v-{c}": v for c, v in vals.items()}}
        status, html = self.request(self.entry_url, data, stats)
        if submit and status == 200 and 'data-testid="confirm-submit-page"' in html:
            # the confirmation step: "Xác nhận nộp" with the version it shows
            status, html = self.request(self.entry_url + "/submit", {
                "csrf_token": self.token(html, "csrf_token"), "lock_version": self.token(html, "lock_version")}, stats)
        if bad:
            # a wrong value: 422 with the error shown next to it; the draft keeps exactly
            # what was typed (the wrong text too), so nothing the officer wrote is lost
            ok = status == 422 and "không phải số" in html
            if ok:
                self.saved = vals
            return "refused" if ok else "error"
        if status == 200:
            self.saved = vals
            return "ok"
        return "error"


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.lat: list[float] = []
        self.errors: list[str] = []
        self.refused = 0

    def record(self, seconds: float, status: int) -> None:
        with self.lock:
            self.lat.append(seconds)
            if status >= 500:
                self.errors.append(f"HTTP {status}")


def _wait_http(url: str, proc, seconds: float = 60) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError("gunicorn exited")
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer")


def check(url: str, redis_url: str, cid: int, officers: list[Officer]) -> list[str]:
    """Problems found in the settled database (empty list: consistent)."""
    import sqlalchemy as sa

    from campaign import create_app
    from campaign.extensions import db
    from campaign.models import Campaign, Entry, EntryNodeScore, IndicatorNode, IndicatorValue, UnitResult, User
    from campaign.services.results import recompute
    from campaign.services.submissions.entries import framework_of
    from scoring.entry import score_entry

    problems = []
    app = create_app("config.DevelopmentConfig", SQLALCHEMY_DATABASE_URI=url, REDIS_URL=redis_url)
    with app.app_context():
        end = time.monotonic() + 120
        while True:
            c = db.session.get(Campaign, cid)
            fresh = not c.is_stale
            db.session.rollback()
            if fresh or time.monotonic() > end:
                break
            time.sleep(0.5)
        if not fresh:
            problems.append("the provisional result did not settle within 120 s")
        fw = framework_of(db.session.get(Campaign, cid).framework_version_id)
        codes = {n.id: n.code for n in db.session.scalars(sa.select(IndicatorNode))}
        totals = dict(db.session.execute(sa.select(UnitResult.entry_id, UnitResult.own_total)
                                         .where(UnitResult.entry_id.is_not(None))).all())
        for o in officers:
            unit_id = db.session.scalar(sa.select(User.unit_id).where(User.username == o.username))
            entry = db.session.scalar(sa.select(Entry).where(Entry.campaign_id == cid, Entry.unit_id == unit_id))
            if entry is None:
                problems.append(f"{o.username}: no entry")
                continue
            stored = {codes[iv.indicator_id]: iv.raw for iv in db.session.scalars(
                sa.select(IndicatorValue).where(IndicatorValue.entry_id == entry.id))}
            if stored != o.saved:
                problems.append(f"{o.username}: stored {stored} != last saved {o.saved}")
            if entry.status != "submitted":
                problems.append(f"{o.username}: entry {entry.status}, expected submitted")
            expected = score_entry(fw, stored, {}, {}).total  # the engine parses the typed text itself
            if totals.get(entry.id) != expected:
                problems.append(f"{o.username}: result {totals.get(entry.id)} != engine {expected}")
        ledger = sorted(tuple(r) for r in db.session.execute(sa.select(
            EntryNodeScore.entry_id, EntryNodeScore.node_id, EntryNodeScore.points)).all())
        db.session.rollback()
        recompute.recompute_provisional(cid, force=True)
        rebuilt = sorted(tuple(r) for r in db.session.execute(sa.select(
            EntryNodeScore.entry_id, EntryNodeScore.node_id, EntryNodeScore.points)).all())
        if ledger != rebuilt:
            problems.append("the ledger differs from a rebuild from raw rows")
        db.session.remove()
        db.engine.dispose()
    return problems


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--officers", type=int, default=200)
    p.add_argument("--minutes", type=float, default=10.0)
    p.add_argument("--think", type=float, default=3.0, help="mean seconds between an officer's actions")
    p.add_argument("--database-url", default=None)
    args = p.parse_args(argv)

    from campaign.devserver import free_port, start_redis

    tmp = tempfile.mkdtemp(prefix="thidua-soak-")
    redis_port, web_port = free_port(), free_port()
    redis_proc = start_redis(redis_port, os.path.join(tmp, "redis"), appendonly=True)
    url = args.database_url or f"sqlite:///{os.path.join(tmp, 'soak.sqlite')}"
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    env = dict(os.environ, THIDUA_DATABASE_URL=url, THIDUA_REDIS_URL=redis_url, THIDUA_INSTANCE_DIR=tmp,
               THIDUA_SECRET_KEY="soak-secret", THIDUA_CONFIG="config.ProductionConfig",
               THIDUA_SECURE_COOKIES="false", PYTHONUNBUFFERED="1")
    procs = []
    try:
        cid = build(url, redis_url, args.officers)
        with open(os.path.join(tmp, "procs.log"), "ab") as log:  # the children keep their own descriptors
            web = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "-b",
                                    f"127.0.0.1:{web_port}", "wsgi:app"], cwd=ROOT, env=env, stdout=log,
                                   stderr=subprocess.STDOUT)
            worker = subprocess.Popen([sys.executable, "-m", "celery", "-A", "wsgi:celery_app", "worker", "-B",
                                       "--pool=solo", "--loglevel=WARNING", "--without-gossip", "--without-mingle",
                                       "--schedule", os.path.join(tmp, "beat-schedule")],
                                      cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        procs = [web, worker]
        base = f"http://127.0.0.1:{web_port}"
        _wait_http(base + "/ping", web)
        stats = Stats()
        officers = [Officer(base, k + 1, random.Random(k)) for k in range(args.officers)]
        stop = time.monotonic() + args.minutes * 60

        def run(o: Officer) -> None:
            try:
                time.sleep(o.rng.uniform(0, args.think))  # officers arrive over a few seconds
                o.login(stats)
                n = 0
                while time.monotonic() < stop:
                    n += 1
                    outcome = o.save(stats, cid, bad=(n % 10 == 0))
                    if outcome == "error":
                        stats.errors.append(f"{o.username}: save #{n} failed")
                    elif outcome == "refused":
                        with stats.lock:
                            stats.refused += 1
                    time.sleep(o.rng.expovariate(1 / args.think))
                if o.save(stats, cid, submit=True) != "ok":
                    stats.errors.append(f"{o.username}: submit failed")
            except Exception as exc:  # noqa: BLE001 - every failure is reported, none hidden
                stats.errors.append(f"{o.username}: {exc!r}")

        threads = [threading.Thread(target=run, args=(o,)) for o in officers]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - t0
        print(f"load done in {elapsed:.0f} s: {len(stats.lat)} requests, {len(stats.errors)} errors", flush=True)
        for e in stats.errors[:20]:
            print("  error:", e)
        if stats.errors:  # the servers' side of the story
            print(Path(tmp, "procs.log").read_text(errors="replace")[-6000:])
        problems = check(url, redis_url, cid, officers)
        for pr in problems[:20]:
            print("  inconsistency:", pr)
        lat = sorted(stats.lat)
        p95 = lat[int(0.95 * (len(lat) - 1))] * 1000 if lat else float("nan")
        print(f"soak: officers={args.officers} minutes={args.minutes:g} requests={len(lat)} errors={len(stats.errors)} "
              f"refused_as_expected={stats.refused} p50_ms={statistics.median(lat) * 1000:.0f} p95_ms={p95:.0f} "
              f"consistent={'yes' if not problems else 'no'}")
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
        redis_proc.terminate()
        redis_proc.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
