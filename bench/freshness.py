"""Freshness benchmark: seconds from a saved judge's score to the provisional result showing it.

    python -m bench.freshness [--units 1000] [--samples 20] [--database-url …]

Starts its own redis-server and a real ``celery -A wsgi:celery_app worker`` subprocess
(production-like DevelopmentConfig: 0.5 s coalescing window included), generates a synthetic
campaign with :mod:`bench.recompute`, then repeatedly changes one judge's score (committing
with ``mark_stale(…, entries=[…])`` exactly like the judging service) and polls the database until the
provisional ``UnitResult`` of that entry carries the new total. The worker is idle between
samples. Prints as its last line:

    freshness: units=… samples=… p50_s=… p95_s=… max_s=…
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--units", type=int, default=1000)
    p.add_argument("--samples", type=int, default=20)
    p.add_argument("--database-url", default=None)
    p.add_argument("--timeout", type=float, default=60, help="seconds to wait for one sample's recompute")
    p.add_argument("--template", action="store_true",
                   help="PostgreSQL: copy the data from bench.recompute's template database (made once)")
    args = p.parse_args(argv)

    tmp = tempfile.mkdtemp(prefix="thidua-fresh-")
    from campaign.devserver import free_port, start_redis

    port = free_port()
    redis_proc = start_redis(port, os.path.join(tmp, "redis"), appendonly=False)
    url = args.database_url or f"sqlite:///{os.path.join(tmp, 'fresh.sqlite')}"
    redis_url = f"redis://127.0.0.1:{port}/0"
    env = dict(os.environ, THIDUA_DATABASE_URL=url, THIDUA_REDIS_URL=redis_url, THIDUA_INSTANCE_DIR=tmp,
               THIDUA_SECRET_KEY="bench-freshness", THIDUA_CONFIG="config.DevelopmentConfig",
               PYTHONUNBUFFERED="1")
    os.environ.update({k: env[k] for k in ("THIDUA_DATABASE_URL", "THIDUA_REDIS_URL", "THIDUA_INSTANCE_DIR",
                                           "THIDUA_SECRET_KEY")})
    worker = None
    try:
        import sqlalchemy as sa

        from bench.recompute import generate
        from campaign import create_app
        from campaign.extensions import db

        if args.template and url.startswith("postgresql"):
            from argparse import Namespace

            from bench.recompute import _dispose, clone_pg, db_scalar, make_app, prepare_pg

            size = Namespace(units=args.units, indicators=80, judged=20, judges=3)
            tpl_url, missing = prepare_pg(url, size)
            if missing:
                tpl_app = make_app(tpl_url)
                generate(tpl_app, args.units, 80, 20, 3)
                _dispose(tpl_app)
            run_url = clone_pg(url, size)  # never the maintenance database itself (…/postgres)
            _dispose(make_app(run_url, reused=True))  # new model columns added
            env["THIDUA_DATABASE_URL"] = os.environ["THIDUA_DATABASE_URL"] = run_url  # the worker's
            app = create_app("config.DevelopmentConfig", SQLALCHEMY_DATABASE_URI=run_url)  # (config was read)
            with app.app_context():
                cid = db_scalar("SELECT id FROM campaign WHERE slug = 'bench'")
                db.session.execute(sa.text("ANALYZE"))
                db.session.commit()
        else:
            app = create_app("config.DevelopmentConfig")
            with app.app_context():
                db.create_all()
            cid = generate(app, args.units, 80, 20, 3)
        from campaign.models import Assignment, Campaign, JudgeScore, ScoreRun, UnitResult
        from campaign.services.results import recompute
        from campaign.services.results.freshness import mark_stale

        with app.app_context():
            recompute.recompute_provisional(cid, force=True)
        with open(os.path.join(tmp, "worker.log"), "ab") as log:  # the worker keeps its own copy of the fd
            worker = subprocess.Popen([sys.executable, "-m", "celery", "-A", "wsgi:celery_app", "worker",
                                       "--pool=solo", "--loglevel=INFO", "--without-gossip", "--without-mingle",
                                       "--without-heartbeat"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        end = time.monotonic() + 60
        while b"ready." not in Path(tmp, "worker.log").read_bytes():
            if time.monotonic() > end or worker.poll() is not None:
                raise RuntimeError(Path(tmp, "worker.log").read_text()[-2000:])
            time.sleep(0.1)
        lat = []
        with app.app_context():
            score_ids = list(db.session.scalars(sa.select(JudgeScore.id).order_by(JudgeScore.id).limit(args.samples)))
            db.session.rollback()
            for k, sid in enumerate(score_ids):
                time.sleep(1.0)  # idle worker between samples
                js = db.session.get(JudgeScore, sid)
                entry_id = db.session.scalar(sa.select(Assignment.entry_id).where(Assignment.id == js.assignment_id))
                old = db.session.scalar(sa.select(UnitResult.own_total).join(ScoreRun).where(
                    ScoreRun.kind == "provisional", UnitResult.entry_id == entry_id))
                t0 = time.perf_counter()  # the save itself (and its ledger refresh) counts
                js.points = 0.0 if js.points >= 5 else 10.0
                mark_stale(cid, entries=[entry_id])
                db.session.commit()
                target = db.session.get(Campaign, cid).inputs_version
                db.session.rollback()
                while True:
                    cv = db.session.scalar(sa.select(Campaign.computed_version).where(Campaign.id == cid))
                    new = db.session.scalar(sa.select(UnitResult.own_total).join(ScoreRun).where(
                        ScoreRun.kind == "provisional", UnitResult.entry_id == entry_id))
                    db.session.rollback()
                    if cv >= target:
                        break
                    if time.perf_counter() - t0 > args.timeout:
                        raise RuntimeError(f"no recompute within {args.timeout} s")
                    time.sleep(0.02)
                lat.append(time.perf_counter() - t0)
                print(f"  sample {k + 1}: {lat[-1]:.3f} s (entry {entry_id}: {old} → {new})", flush=True)
        lat.sort()
        p95 = lat[max(0, int(round(0.95 * len(lat))) - 1)]
        print(f"freshness: units={args.units} samples={len(lat)} p50_s={statistics.median(lat):.3f} "
              f"p95_s={p95:.3f} max_s={lat[-1]:.3f}")
    finally:
        if worker is not None and worker.poll() is None:
            os.kill(worker.pid, signal.SIGTERM)
            try:
                worker.wait(15)
            except subprocess.TimeoutExpired:
                os.kill(worker.pid, signal.SIGKILL)
                worker.wait(5)
        redis_proc.terminate()
        redis_proc.wait(5)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
