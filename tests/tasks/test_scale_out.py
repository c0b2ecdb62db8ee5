"""Scale-out: two worker processes (as two machines would run), one database, one Redis.

20 campaigns receive changes at once for a minute (``THIDUA_TEST_SCALE_OUT_SECONDS``, default
60) through the service path (values saved, ``mark_stale`` naming the entry, commit → coalesced
enqueue). Then:

- every campaign converges to the result of a serial recompute from scratch;
- no recompute result is written from stale inputs: across both workers, each campaign's
  written inputs versions are all different (the version claim lets one writer per version
  through) and the last one written is the campaign's final version;
- the total work (recomputes that read and computed) is within 1.5× of the coalesced minimum,
  here the number of distinct (campaign, version) results the workers wrote: work thrown away
  (a result discarded because a newer one was already in place, or a version computed twice by
  both workers) stays under half of the useful work; and coalescing keeps the work well below
  one recompute per change.
"""
from __future__ import annotations

import ast
import os
import random
import re
import time
from collections import defaultdict

import pytest
import sqlalchemy as sa

from campaign.extensions import db
from campaign.models import Campaign, Entry
from campaign.services.results import recompute
from campaign.services.results.freshness import mark_stale
from scoring.framework import parse_framework
from tests.results_helpers import random_campaign, random_value, save_values

from .procs import env_for, start_beat, start_worker, wait_until
from .results import clean_rows, provisional_rows

pytestmark = [pytest.mark.celery, pytest.mark.slow]

SECONDS = float(os.environ.get("THIDUA_TEST_SCALE_OUT_SECONDS", "60"))
CAMPAIGNS = 20
DONE = re.compile(r"Task thidua\.recompute_campaign\[[^\]]+\] succeeded in [\d.]+s: (\{.*\})")


def _results_from_logs(*logs) -> list[dict]:
    out = []
    for log in logs:
        for line in log.read_text(errors="replace").splitlines():
            m = DONE.search(line)
            if m:
                out.append(ast.literal_eval(m.group(1)))
    return out


def test_two_workers_twenty_campaigns_converge_without_stale_writes(app, factory, redis_url, tmp_path):
    app.config["RECOMPUTE_COALESCE_SECONDS"] = 0.5  # as in production: a burst of changes, one recompute
    rng = random.Random(18)
    built = [random_campaign(factory, rng, n_units=6, judges=2, overrides=False) for _ in range(CAMPAIGNS)]
    for c, _doc, _data in built:
        c.status = "open"
    db.session.commit()
    for c, _doc, _data in built:  # steady state, as after `make run`'s start: every campaign has its result
        recompute.recompute_provisional(c.id, force=True)
    env = env_for(app, redis_url, tmp_path)
    workers = [start_worker(env, tmp_path, f"machine{i}") for i in (1, 2)]
    beat = start_beat(env, tmp_path)
    changes = defaultdict(int)
    try:
        plans = []
        for c, doc, data in built:
            fw = parse_framework(doc)
            numeric = [n for n in fw.indicators() if n.rule.kind in ("linear", "step", "manual")]
            plans.append((c.id, doc, list(data), numeric))
        end = time.monotonic() + SECONDS
        turn: list = []
        while time.monotonic() < end:
            if not turn:  # every campaign in each round, in a new order each time
                turn = rng.sample(plans, len(plans))
            cid, doc, entry_ids, numeric = turn.pop()
            for _ in range(rng.randint(1, 6)):  # a burst: officers and judges save in quick succession
                entry = db.session.get(Entry, rng.choice(entry_ids))
                node = rng.choice(numeric)
                save_values(entry, doc, {node.code: random_value(node, rng)})
                mark_stale(cid, entries=[entry.id])
                db.session.commit()
                changes[cid] += 1
            time.sleep(rng.uniform(0.0, 0.05))
        ids = [cid for cid, *_ in plans]

        def all_fresh() -> bool:
            db.session.rollback()
            rows = db.session.execute(sa.select(Campaign.inputs_version, Campaign.computed_version,
                                                Campaign.stale_since).where(Campaign.id.in_(ids))).all()
            db.session.rollback()
            return all(cv == iv and since is None for iv, cv, since in rows)

        assert wait_until(all_fresh, 120, 0.5), [w.log.read_text()[-1500:] for w in workers]
    finally:
        beat.stop()
        for w in workers:
            w.stop()

    finals = dict(db.session.execute(sa.select(Campaign.id, Campaign.inputs_version).where(Campaign.id.in_(ids))).all())
    results = _results_from_logs(*(w.log for w in workers))
    written = defaultdict(list)
    work = wasted = 0
    for r in results:
        if r.get("status") == "fresh":
            continue  # nothing read or computed: the campaign was already up to date
        work += 1
        if r.get("status") == "discarded":
            wasted += 1
        else:
            written[r["campaign_id"]].append(r["version"])
    both_wrote = {w.log.name: sum(1 for line in w.log.read_text().splitlines() if DONE.search(line)) for w in workers}
    assert all(n > 0 for n in both_wrote.values()), both_wrote  # the work really was shared
    total_changes = sum(changes.values())
    useful = sum(len(set(v)) for v in written.values())
    for cid in ids:
        assert changes[cid] > 0
        versions = written[cid]
        assert len(versions) == len(set(versions)), (cid, sorted(versions))  # one writer per version
        assert max(versions) == finals[cid], (cid, max(versions), finals[cid])  # the last write is the final version
    assert work <= 1.5 * useful, (work, useful, wasted)
    assert work < total_changes, (work, total_changes)  # coalesced: fewer recomputes than changes
    print(f"scale-out: campaigns={CAMPAIGNS} seconds={SECONDS:.0f} changes={total_changes} recomputes={work} "
          f"useful={useful} wasted={wasted} per_worker={both_wrote}")
    for cid in ids:  # converged: the same rows as a serial recompute from scratch
        assert provisional_rows(cid) == clean_rows(cid), cid
