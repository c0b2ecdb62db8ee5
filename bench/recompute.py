"""Benchmark: whole-campaign provisional recompute vs a bare SQL GROUP BY over the same value rows.

    python -m bench.recompute [--units 10000] [--indicators 80] [--judged 20] [--judges 3]
                              [--database-url postgresql+psycopg://…/db] [--repeat 3]

Generates a synthetic campaign (districts with communes, clusters, every value with its
stored rule points, 3 judges' submitted scores on the judged indicators) in a temporary
SQLite file (or the given database, which must be empty/disposable), then times in the same
run (a) ``campaign.services.results.recompute.recompute_provisional`` — the exact code the Celery
worker runs — and (b) ``SELECT entry_id, SUM(points) … GROUP BY entry_id`` over the same
value rows. Prints, as its last line:

    recompute: units=… indicators=… recompute_s=… baseline_sql_s=… ratio=… peak_rss_mb=…

Each timed run follows a change to one value made the way the entry form makes it (the
value and ``mark_stale(campaign, entries=[entry])``, which refreshes that entry's ledger
rows), so the recompute really recomputes every unit's total, rank, band and award and
rewrites the rows that changed — what the worker does after a user's change. Times are the
median of ``--repeat`` runs.

The line before the last reports the cold path too: a forced recompute from the raw value
and judge rows that also rebuilds the ledger (what runs after a settings or framework
change, a bulk load, or ``flask recompute``):

    rebuild: units=… rebuild_s=… ratio=…

and before it ``settings_change:`` (the aggregation changed: ledger rebuilt from raw rows,
every unit recomputed and rewritten) and ``normalised:`` (z-scores on; one judge's mark
changed, recomputed through the ledger; ``--no-normalised`` skips it).

``--template`` (PostgreSQL) generates the data set once into a template database
(``thidua_bench_tpl_…``, marked complete by a comment) and copies it with
``CREATE DATABASE … TEMPLATE`` for each run. ``--table 1000,10000,100000`` runs each size in
its own process with the same options and prints one table of the figures.
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import tempfile
import time

import numpy as np
import sqlalchemy as sa


def framework_doc(n_ind: int, n_judged: int) -> dict:
    """n_ind indicators in 8 groups of 2 criteria; n_judged of them judged; 10 points each."""
    n_groups = 8
    per_group = n_ind // n_groups
    kinds = ["linear", "target", "banded", "yes_no", "count"]
    groups, k = [], 0
    judged_every = max(1, n_ind // max(n_judged, 1))
    judged_left = n_judged
    for g in range(n_groups):
        crit = []
        for c in range(2):
            inds = []
            for i in range(per_group // 2 if c == 0 else per_group - per_group // 2):
                code = f"{g + 1}.{c + 1}.{i + 1}"
                if judged_left and k % judged_every == 0:
                    judged_left -= 1
                    node = {"code": code, "name": {"vi": code}, "max_points": 10, "value_type": "choice",
                            "choices": [{"code": "a", "label": {"vi": "A"}}, {"code": "b", "label": {"vi": "B"}}],
                            "rule": {"kind": "judged", "levels": [{"code": "a", "points": 10, "descriptor": {"vi": "A"}},
                                                                  {"code": "b", "points": 6, "descriptor": {"vi": "B"}}]}}
                else:
                    kind = kinds[k % len(kinds)]
                    rule = {"linear": {"kind": "linear", "floor": 20, "target": 90},
                            "target": {"kind": "target", "target": 50},
                            "banded": {"kind": "banded", "bands": [{"from": 0, "points": 2}, {"from": 40, "points": 6},
                                                                   {"from": 80, "points": 10}]},
                            "yes_no": {"kind": "yes_no"},
                            "count": {"kind": "count", "per_item": 1.5}}[kind]
                    vt = {"linear": "percentage", "target": "number", "banded": "number", "yes_no": "yes_no",
                          "count": "count"}[kind]
                    node = {"code": code, "name": {"vi": code}, "max_points": 10, "value_type": vt, "rule": rule}
                inds.append(node)
                k += 1
            mp = 10 * len(inds)
            crit.append({"code": f"{g + 1}.{c + 1}", "name": {"vi": f"{g + 1}.{c + 1}"}, "max_points": mp,
                         "cap": mp * 0.9, "children": inds})
        gmax = sum(c["max_points"] for c in crit)
        groups.append({"code": f"G{g + 1}", "name": {"vi": f"Nhóm {g + 1}"}, "kind": "regular",
                       "max_points": gmax, "children": crit})
    scale = sum(g["max_points"] for g in groups)
    return {"format": "thidua-framework/1", "code": f"bench-{n_ind}", "scale": scale,
            "name": {"vi": "Khung đo hiệu năng"}, "groups": groups}


def generate(app, n_units: int, n_ind: int, n_judged: int, n_judges: int, seed: int = 1) -> int:
    """Bulk-insert the synthetic campaign with executemany; return the campaign id."""
    from campaign.extensions import db
    from campaign.models import Campaign, CampaignUnit, Cluster, Entry, Unit, User
    from campaign.services.setup.frameworks import install_version
    from scoring.framework import parse_framework
    from scoring.vector import compile_rules, points_matrix

    rng = np.random.default_rng(seed)
    doc = framework_doc(n_ind, n_judged)
    with app.app_context():
        version = install_version(doc)
        n_districts = max(1, n_units // 100)
        settings = {"aggregation": "mean", "rollup": {"kind": "mean"},
                    "tie_breaks": ["group:G1", "fewer_penalty", "earlier_submission"],
                    "bands": [{"code": "xuat_sac", "min_total": scale_of(doc) * 0.8},
                              {"code": "tot", "min_total": scale_of(doc) * 0.6}],
                    "award_quota_pct": 20, "top_per_cluster": 1}
        c = Campaign(slug="bench", name="Bench", status="open", framework_version_id=version.id, settings=settings)
        db.session.add(c)
        db.session.flush()
        clusters = []
        for i in range(10):
            cl = Cluster(code=f"C{i}", name=f"Cụm {i}", campaign_id=c.id)
            db.session.add(cl)
            clusters.append(cl)
        judges = [User(username=f"judge{i}", role="judge", password_hash="x") for i in range(n_judges)]
        db.session.add_all(judges)
        db.session.flush()
        cid, vid = c.id, version.id
        cluster_ids = [cl.id for cl in clusters]
        judge_ids = [j.id for j in judges]
        db.session.commit()

        conn = db.session.connection()
        base = 1_000_000
        units = []
        for i in range(n_units):
            uid = base + i
            if i < n_districts:
                units.append({"id": uid, "code": f"B{i:06d}", "name": f"Quận {i}", "kind": "urban_district",
                              "level": 2, "parent_id": None, "population": int(rng.integers(50_000, 400_000)),
                              "is_demo": True})
            else:
                parent = base + (i % n_districts)
                units.append({"id": uid, "code": f"B{i:06d}", "name": f"Xã {i}", "kind": "commune", "level": 3,
                              "parent_id": parent, "population": int(rng.integers(3_000, 40_000)), "is_demo": True})
        conn.execute(sa.insert(Unit), units)
        conn.execute(sa.insert(CampaignUnit), [{"campaign_id": cid, "unit_id": u["id"],
                                                "cluster_id": cluster_ids[k % len(cluster_ids)]}
                                               for k, u in enumerate(units)])
        from campaign.models.base import utcnow
        now = utcnow()
        conn.execute(sa.insert(Entry), [{"id": base + k, "campaign_id": cid, "unit_id": u["id"],
                                         "framework_version_id": vid, "status": "submitted",
                                         "blind_code": f"X{k:07d}", "first_submitted_at": now,
                                         "submitted_at": now, "narrative": "", "lock_version": 1}
                                        for k, u in enumerate(units)])
        fw = parse_framework(doc)
        comp = compile_rules(fw)
        ind_ids = dict(db.session.execute(sa.text(
            "SELECT code, id FROM indicator_node WHERE framework_version_id = :v"), {"v": vid}).all())
        vals = rng.uniform(0, 100, size=(n_units, len(comp.codes))).round(2)
        judged_cols = [j for j, r in enumerate(comp.rules) if r.kind == "judged"]
        for j, r in enumerate(comp.rules):
            if r.kind == "yes_no":
                vals[:, j] = (vals[:, j] > 30).astype(float)
            elif r.kind == "count":
                vals[:, j] = np.floor(vals[:, j] / 10)
            elif r.kind == "judged":
                vals[:, j] = np.where(vals[:, j] > 50, 10.0, 6.0)
        pts = points_matrix(comp, vals)
        entries = np.arange(base, base + n_units)
        # Entry-major order, as the entry form saves one unit's values together.
        iids = [ind_ids[code] for code in comp.codes]
        judged_set = set(judged_cols)
        text_of = np.where(vals == 10.0, "a", "b")
        raw = conn.connection.dbapi_connection
        qm = "?" if conn.dialect.paramstyle == "qmark" else "%s"
        cur = raw.cursor()
        if conn.dialect.name == "postgresql":  # COPY: 100,000 units load in minutes, not tens of them
            _copy_pg(cur, now, entries, iids, judged_set, vals, pts, text_of, judge_ids, judged_cols, comp, ind_ids, rng)
            cur.close()
            db.session.commit()
            return cid
        ins_v = (f"INSERT INTO indicator_value (entry_id, indicator_id, value_num, value_text, is_na, points, "
                 f"explanation, updated_at) VALUES ({', '.join([qm] * 8)})")
        vl, pl, tl = vals.tolist(), pts.tolist(), text_of.tolist()
        batch = []
        for k in range(n_units):
            eid = int(entries[k])
            vk, pk, tk = vl[k], pl[k], tl[k]
            for j in range(len(iids)):
                if j in judged_set:
                    batch.append((eid, iids[j], None, tk[j], False, pk[j], "", now))
                else:
                    batch.append((eid, iids[j], vk[j], None, False, pk[j], "", now))
            if len(batch) >= 100_000:
                cur.executemany(ins_v, batch)
                batch = []
        if batch:
            cur.executemany(ins_v, batch)
        batch = None
        assignments = []
        aid = base
        for k in range(n_units):
            for jid in judge_ids:
                assignments.append((aid, int(entries[k]), jid, "submitted", now))
                aid += 1
        cur.executemany(f"INSERT INTO assignment (id, entry_id, judge_id, status, assigned_at) "
                        f"VALUES ({', '.join([qm] * 5)})", assignments)
        judged_ids = [ind_ids[comp.codes[j]] for j in judged_cols]
        jp = (rng.integers(0, 21, size=(len(assignments), len(judged_ids))) / 2.0).tolist()
        ins_s = (f"INSERT INTO judge_score (assignment_id, indicator_id, points, comment, comment_public, updated_at) "
                 f"VALUES ({', '.join([qm] * 6)})")
        scores = []
        for a_i, a in enumerate(assignments):
            row = jp[a_i]
            for t, iid in enumerate(judged_ids):
                scores.append((a[0], iid, row[t], "", False, now))
            if len(scores) >= 100_000:
                cur.executemany(ins_s, scores)
                scores = []
        if scores:
            cur.executemany(ins_s, scores)
        cur.close()
        db.session.commit()
        return cid


def _copy_pg(cur, now, entries, iids, judged_set, vals, pts, text_of, judge_ids, judged_cols, comp, ind_ids,
             rng) -> None:
    """The same rows as the executemany path, written with COPY (PostgreSQL)."""
    ts = now.isoformat(sep=" ")
    vl, pl, tl = vals.tolist(), pts.tolist(), text_of.tolist()
    with cur.copy("COPY indicator_value (entry_id, indicator_id, value_num, value_text, is_na, points, explanation, "
                  "updated_at) FROM STDIN") as copy:
        for k in range(len(entries)):
            eid, vk, pk, tk = int(entries[k]), vl[k], pl[k], tl[k]
            copy.write("".join(
                f"{eid}\t{iid}\t\\N\t{tk[j]}\tf\t{pk[j]!r}\t\t{ts}\n" if j in judged_set else
                f"{eid}\t{iid}\t{vk[j]!r}\t\\N\tf\t{pk[j]!r}\t\t{ts}\n" for j, iid in enumerate(iids)))
    assignments = [(base_aid, int(e), jid) for base_aid, (e, jid) in enumerate(
        ((e, jid) for e in entries for jid in judge_ids), start=int(entries[0]))]
    with cur.copy("COPY assignment (id, entry_id, judge_id, status, assigned_at) FROM STDIN") as copy:
        copy.write("".join(f"{a}\t{e}\t{j}\tsubmitted\t{ts}\n" for a, e, j in assignments))
    judged_ids = [ind_ids[comp.codes[j]] for j in judged_cols]
    jp = (rng.integers(0, 21, size=(len(assignments), len(judged_ids))) / 2.0).tolist()
    with cur.copy("COPY judge_score (assignment_id, indicator_id, points, comment, comment_public, updated_at) "
                  "FROM STDIN") as copy:
        for a_i, a in enumerate(assignments):
            row = jp[a_i]
            copy.write("".join(f"{a[0]}\t{iid}\t{row[t]!r}\t\tf\t{ts}\n" for t, iid in enumerate(judged_ids)))


def template_name(args) -> str:
    """The template database holding this size's generated data (PostgreSQL)."""
    return f"thidua_bench_tpl_{GEN_VERSION}_{args.units}_{args.indicators}_{args.judged}_{args.judges}"


GEN_VERSION = 1


def prepare_pg(url: str, args) -> tuple[str, bool]:
    """Create the target database from a template generated once (``CREATE DATABASE … TEMPLATE``).

    Returns (url to use, whether the data still has to be generated into the template first)."""
    u = sa.engine.make_url(url)
    admin = sa.create_engine(u.set(database="postgres"), isolation_level="AUTOCOMMIT")
    tpl = template_name(args)
    with admin.connect() as c:
        exists = c.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": tpl}).first()
        done = exists and c.execute(sa.text("SELECT shobj_description(oid, 'pg_database') FROM pg_database "
                                            "WHERE datname = :n"), {"n": tpl}).scalar() == "complete"
        if exists and not done:
            c.execute(sa.text(f'DROP DATABASE "{tpl}"'))
        if not done:
            c.execute(sa.text(f'CREATE DATABASE "{tpl}"'))
    admin.dispose()
    return str(u.set(database=tpl).render_as_string(hide_password=False)), not done


def clone_pg(url: str, args) -> str:
    """(Re)create the run's database as a copy of the complete template. The maintenance database
    (``…/postgres``, as ``scripts/pg_env.sh`` exports it) is never the target: ``thidua_bench_run``."""
    u = sa.engine.make_url(url)
    if u.database in (None, "", "postgres", "template0", "template1"):
        u = u.set(database="thidua_bench_run")
        url = u.render_as_string(hide_password=False)
    admin = sa.create_engine(u.set(database="postgres"), isolation_level="AUTOCOMMIT")
    tpl, target = template_name(args), u.database
    with admin.connect() as c:
        c.execute(sa.text(f"COMMENT ON DATABASE \"{tpl}\" IS 'complete'"))
        c.execute(sa.text(f'DROP DATABASE IF EXISTS "{target}"'))
        c.execute(sa.text(f'CREATE DATABASE "{target}" TEMPLATE "{tpl}"'))
    admin.dispose()
    return url


def scale_of(doc: dict) -> float:
    return float(doc["scale"])


def baseline(app, cid: int) -> float:
    from campaign.extensions import db

    with app.app_context():
        t0 = time.perf_counter()
        rows = db.session.execute(sa.text(
            "SELECT v.entry_id, SUM(v.points) FROM indicator_value v JOIN entry e ON e.id = v.entry_id "
            "WHERE e.campaign_id = :c GROUP BY v.entry_id"), {"c": cid}).all()
        dt = time.perf_counter() - t0
        db.session.rollback()
        assert rows
        return dt


def touch_one_value(app, cid: int) -> None:
    """Change one value's points the way the entry form does (value + mark_stale for its entry),
    so the next recompute really rewrites rows."""
    from campaign.extensions import db
    from campaign.services.results.freshness import mark_stale

    with app.app_context():
        # a value of an indicator nobody judges (judges' scores replace a judged indicator's points)
        vid, eid = db.session.execute(sa.text(
            "SELECT v.id, v.entry_id FROM indicator_value v JOIN entry e ON e.id = v.entry_id "
            "WHERE e.campaign_id = :c AND v.indicator_id NOT IN (SELECT s.indicator_id FROM judge_score s "
            "WHERE s.assignment_id = (SELECT MIN(a.id) FROM assignment a WHERE a.entry_id = v.entry_id)) "
            "ORDER BY v.id LIMIT 1"), {"c": cid}).one()
        db.session.execute(sa.text("UPDATE indicator_value SET points = CASE WHEN points >= 1 THEN points - 1 "
                                   "ELSE points + 1 END WHERE id = :v"), {"v": vid})  # always a real change
        mark_stale(cid, entries=[eid])
        db.session.commit()


def _dispose(app) -> None:
    from campaign.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def db_scalar(sql: str):
    from campaign.extensions import db

    out = db.session.execute(sa.text(sql)).scalar()
    db.session.rollback()
    return out


def change_settings(app, cid: int, changes: dict) -> None:
    """A settings change as the campaign form saves it (ledger-relevant: the ledger is rebuilt)."""
    from campaign.extensions import db
    from campaign.models import Campaign
    from campaign.services.results.freshness import mark_stale

    with app.app_context():
        c = db.session.get(Campaign, cid)
        c.settings = {**(c.settings or {}), **changes}
        mark_stale(cid)
        db.session.commit()


def touch_one_judge_score(app, cid: int) -> None:
    """Change one judge's mark the way the judge's page saves it (score + mark_stale for its entry)."""
    from campaign.extensions import db
    from campaign.services.results.freshness import mark_stale

    with app.app_context():
        sid, eid = db.session.execute(sa.text(
            "SELECT s.id, a.entry_id FROM judge_score s JOIN assignment a ON a.id = s.assignment_id "
            "JOIN entry e ON e.id = a.entry_id WHERE e.campaign_id = :c ORDER BY s.id LIMIT 1"), {"c": cid}).one()
        db.session.execute(sa.text("UPDATE judge_score SET points = CASE WHEN points >= 5 THEN points - 4.5 "
                                   "ELSE points + 4.5 END WHERE id = :s"), {"s": sid})
        mark_stale(cid, entries=[eid])
        db.session.commit()


TABLE_LINES = ("recompute:", "rebuild:", "settings_change:", "normalised:")


def table(args, argv) -> None:
    """Each size in its own process (so peak RSS is per size); one table of the summary lines."""
    import subprocess
    import sys

    rest, skip = [], False
    for a in argv if argv is not None else sys.argv[1:]:
        if skip:
            skip = False
            continue
        if a in ("--table", "--units"):
            skip = True
            continue
        if not a.startswith(("--table=", "--units=")):
            rest.append(a)
    rows = []
    for units in [int(u) for u in args.table.split(",")]:
        out = subprocess.run([sys.executable, "-m", "bench.recompute", "--units", str(units), *rest],
                             capture_output=True, text=True, check=True).stdout
        print(out, end="", flush=True)
        got = {}
        for line in out.splitlines():
            if line.startswith(TABLE_LINES):
                head, _sep, tail = line.partition(": ")
                got[head] = dict(kv.split("=") for kv in tail.split())
        rows.append((units, got))
    print("\n| units | GROUP BY s | after one change s (×) | rebuild s (×) | settings change s (×) "
          "| normalised s (×) | peak RSS MB |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for units, g in rows:
        rc, rb, sc, nm = (g.get(k, {}) for k in ("recompute", "rebuild", "settings_change", "normalised"))

        def cell(d, key):
            return f"{d[key]} ({d['ratio']})" if d else "–"
        print(f"| {units:,} | {rc.get('baseline_sql_s', '–')} | {cell(rc, 'recompute_s')} | {cell(rb, 'rebuild_s')} "
              f"| {cell(sc, 'recompute_s')} | {cell(nm, 'recompute_s')} | {rc.get('peak_rss_mb', '–')} |")


def make_app(database_url: str, reused: bool = False):
    from campaign import create_app
    from campaign.extensions import db
    from config import TestingConfig

    redis = os.environ.get("THIDUA_REDIS_URL", "redis://127.0.0.1:1/0")  # progress writes fail fast if absent
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=database_url, REDIS_URL=redis,
                     CELERY={**TestingConfig.CELERY, "broker_url": redis, "result_backend": redis})
    with app.app_context():
        db.create_all()
        if reused:
            _add_missing_columns(db)
    return app


def _add_missing_columns(db) -> None:
    """A reused template made before a model gained a column: add it (nullable), as a migration would."""
    with db.engine.begin() as conn:
        insp = sa.inspect(conn)
        for table in db.metadata.sorted_tables:
            have = {c["name"] for c in insp.get_columns(table.name)}
            for col in table.columns:
                if col.name not in have:
                    default = col.server_default.arg if col.server_default is not None else None
                    conn.execute(sa.text(f"ALTER TABLE {table.name} ADD COLUMN {col.name} "
                                         f"{col.type.compile(dialect=db.engine.dialect)}"
                                         + (f" DEFAULT {default}" if isinstance(default, str) else "")))


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--units", type=int, default=10_000)
    p.add_argument("--indicators", type=int, default=80)
    p.add_argument("--judged", type=int, default=20)
    p.add_argument("--judges", type=int, default=3)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--database-url", default=None, help="a disposable database (default: temp SQLite file)")
    p.add_argument("--no-normalised", dest="normalised", action="store_false",
                   help="skip the normalised-judging (z-scores) measurement")
    p.add_argument("--table", default=None, metavar="UNITS,UNITS,…",
                   help="run each size in its own process (same options) and print one table")
    p.add_argument("--template", action="store_true",
                   help="PostgreSQL: generate the data once into a template database and copy it for each run")
    args = p.parse_args(argv)
    if args.table:
        return table(args, argv)

    tmp = None
    url = args.database_url
    if not url:
        tmp = tempfile.mkdtemp(prefix="thidua-bench-")
        url = f"sqlite:///{os.path.join(tmp, 'bench.sqlite')}"
    t0 = time.perf_counter()
    if args.template and url.startswith("postgresql"):
        tpl_url, missing = prepare_pg(url, args)
        if missing:
            tpl_app = make_app(tpl_url)
            generate(tpl_app, args.units, args.indicators, args.judged, args.judges)
            _dispose(tpl_app)
            print(f"generated template {template_name(args)} in {time.perf_counter() - t0:.1f} s", flush=True)
        app = make_app(clone_pg(url, args), reused=True)
        print(f"copied template {template_name(args)} in {time.perf_counter() - t0:.1f} s", flush=True)
        with app.app_context():
            cid = db_scalar("SELECT id FROM campaign WHERE slug = 'bench'")
    else:
        app = make_app(url)
        cid = generate(app, args.units, args.indicators, args.judged, args.judges)
        print(f"generated {args.units} units × {args.indicators} indicators "
              f"({args.judged} judged × {args.judges} judges) in {time.perf_counter() - t0:.1f} s", flush=True)
    from campaign.extensions import db
    from campaign.services.results import recompute

    if url.startswith("postgresql"):
        with app.app_context():
            db.session.execute(sa.text("ANALYZE"))
            db.session.commit()
    # warm up: framework cache, page cache, first provisional run (builds the ledger)
    with app.app_context():
        recompute.recompute_provisional(cid, force=True)
    baseline(app, cid)
    rebuild = []
    for _ in range(args.repeat):
        with app.app_context():
            t = time.perf_counter()
            res = recompute.recompute_provisional(cid, force=True)
            rebuild.append(time.perf_counter() - t)
            assert res["inputs"] == "raw", res
    print(f"  forced rebuild from raw rows: {' '.join(f'{x:.3f}' for x in rebuild)} s", flush=True)
    rec, base = [], []
    for k in range(args.repeat):
        touch_one_value(app, cid)
        with app.app_context():
            t = time.perf_counter()
            res = recompute.recompute_provisional(cid)
            rec.append(time.perf_counter() - t)
            assert res["status"] == "written" and res["inputs"] == "ledger", res
        base.append(baseline(app, cid))
        print(f"  run {k + 1}: recompute {rec[-1]:.3f} s, baseline GROUP BY {base[-1]:.3f} s", flush=True)
    r, b = statistics.median(rec), statistics.median(base)
    # A settings change that the ledger depends on (the aggregation): rows rebuilt from raw
    # values and judges' scores, every unit recomputed and rewritten.
    cold = []
    for k in range(args.repeat):
        change_settings(app, cid, {"aggregation": "trimmed_mean" if k % 2 == 0 else "mean"})
        with app.app_context():
            t = time.perf_counter()
            res = recompute.recompute_provisional(cid)
            cold.append(time.perf_counter() - t)
            assert res["status"] == "written" and res["inputs"] == "raw", res
    print(f"  settings change (aggregation): {' '.join(f'{x:.3f}' for x in cold)} s", flush=True)
    norm = []
    if args.normalised:
        change_settings(app, cid, {"aggregation": "mean", "normalise": True})
        with app.app_context():
            assert recompute.recompute_provisional(cid)["inputs"] == "raw"
        for _k in range(args.repeat):
            touch_one_judge_score(app, cid)
            with app.app_context():
                t = time.perf_counter()
                res = recompute.recompute_provisional(cid)
                norm.append(time.perf_counter() - t)
                assert res["status"] == "written" and res["inputs"] == "ledger", res
        print(f"  normalised, after one judge's mark: {' '.join(f'{x:.3f}' for x in norm)} s", flush=True)
    with app.app_context():
        n_rows = db.session.execute(sa.text(
            "SELECT COUNT(*) FROM unit_result r JOIN score_run s ON s.id = r.run_id "
            "WHERE s.campaign_id = :c AND s.kind = 'provisional'"), {"c": cid}).scalar()
        db.session.remove()
        db.engine.dispose()
    assert n_rows == args.units, n_rows
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if tmp:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
    if norm:
        print(f"normalised: units={args.units} recompute_s={statistics.median(norm):.3f} "
              f"ratio={statistics.median(norm) / b:.2f}")
    print(f"settings_change: units={args.units} recompute_s={statistics.median(cold):.3f} "
          f"ratio={statistics.median(cold) / b:.2f}")
    print(f"rebuild: units={args.units} rebuild_s={statistics.median(rebuild):.3f} "
          f"ratio={statistics.median(rebuild) / b:.2f}")
    print(f"recompute: units={args.units} indicators={args.indicators} recompute_s={r:.3f} "
          f"baseline_sql_s={b:.3f} ratio={r / b:.2f} peak_rss_mb={rss:.0f}")


if __name__ == "__main__":
    main()
