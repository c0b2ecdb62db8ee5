"""The recompute pipeline with real processes: worker thread, worker subprocess SIGKILL, Redis down."""
from __future__ import annotations

import json
import random
import shutil
import tempfile
import time

import pytest
import redis
import sqlalchemy as sa

from campaign.devserver import free_port, start_redis
from campaign.extensions import db
from campaign.models import IndicatorValue, ScoreRun, UnitResult
from campaign.services.results import recompute
from campaign.services.results.freshness import mark_stale
from tests.conftest import make_app
from tests.results_helpers import judge, random_campaign, save_values

from .procs import env_for, start_beat, start_worker, wait_until
from .results import clean_rows, is_fresh, provisional_rows

pytestmark = pytest.mark.celery


def _results(**where) -> dict:
    db.session.rollback()
    out = {e: own for e, own in db.session.execute(
        sa.select(UnitResult.entry_id, UnitResult.own_total).join(ScoreRun).where(ScoreRun.kind == "provisional"))}
    db.session.rollback()
    return out


def test_judge_score_change_reaches_provisional_result_through_a_real_worker(app, factory, celery_worker):
    rng = random.Random(21)
    c, doc, data = random_campaign(factory, rng, n_units=6, overrides=False)
    recompute.recompute_provisional(c.id)
    entry_id = next(iter(data))
    from campaign.models import Entry

    entry = db.session.get(Entry, entry_id)
    judges = [factory.user("judge") for _ in range(2)]
    # Only two judges on this entry: both give II.3 (manual, max 10) 0, then both 10.
    from campaign.models import Assignment, JudgeScore

    db.session.execute(sa.delete(JudgeScore).where(JudgeScore.assignment_id.in_(
        sa.select(Assignment.id).where(Assignment.entry_id == entry_id))))
    db.session.execute(sa.delete(Assignment).where(Assignment.entry_id == entry_id))
    judge(entry, judges[0], {"II.3": 0.0})
    judge(entry, judges[1], {"II.3": 0.0})
    mark_stale(c.id)
    db.session.commit()
    assert wait_until(lambda: is_fresh(c.id), 20), "worker did not recompute"
    low = _results()[entry_id]
    judge(entry, judges[0], {"II.3": 10.0})
    judge(entry, judges[1], {"II.3": 10.0})
    mark_stale(c.id)
    db.session.commit()
    t0 = time.monotonic()
    assert wait_until(lambda: is_fresh(c.id), 20), "worker did not recompute"
    elapsed = time.monotonic() - t0
    high = _results()[entry_id]
    # II.3 went from 0 to 10 points; group II is capped at 50, so the total moves by ≤ 10.
    assert 0 < high - low <= 10.0
    assert elapsed < 5
    assert provisional_rows(c.id) == clean_rows(c.id)


def test_sigkill_worker_mid_recompute_converges_and_keeps_previous_result(app, factory, redis_url, tmp_path):
    rng = random.Random(33)
    c, doc, data = random_campaign(factory, rng, n_units=20)
    cid = c.id
    recompute.recompute_provisional(cid)
    previous = provisional_rows(cid)
    # Change inputs: one unit's values.
    from campaign.models import Entry

    entry = db.session.get(Entry, next(iter(data)))
    save_values(entry, doc, {"I.2": 0.0, "I.3": False, "II.1": 0.0})
    env = env_for(app, redis_url, tmp_path, THIDUA_TEST_RECOMPUTE_DELAY="6")
    worker = start_worker(env, tmp_path, "slow")
    beat = None
    restarted = None
    try:
        mark_stale(cid)
        db.session.commit()
        r = redis.Redis.from_url(redis_url)
        key = recompute.PROGRESS_KEY.format(cid)
        assert wait_until(lambda: (json.loads(r.get(key) or "{}").get("phase") == "computing"), 20), \
            worker.log.read_text()[-2000:]
        worker.kill()  # SIGKILL of the whole worker (solo pool) in the middle of the recompute
        killed_at = time.monotonic()
        # The previous result is intact and the campaign is still stale.
        assert provisional_rows(cid) == previous
        assert not is_fresh(cid)
        # Restart (no artificial delay now) with the beat sweep; converge within 60 s.
        env2 = env_for(app, redis_url, tmp_path, THIDUA_TEST_RECOMPUTE_DELAY="0")
        restarted = start_worker(env2, tmp_path, "restarted")
        beat = start_beat(env2, tmp_path)
        assert wait_until(lambda: is_fresh(cid), 60, 0.25), restarted.log.read_text()[-3000:]
        converged_after = time.monotonic() - killed_at
        got = provisional_rows(cid)
        assert got != previous
        beat.stop()
        restarted.stop()
        beat = restarted = None
        assert got == clean_rows(cid)
        print(f"converged {converged_after:.1f} s after SIGKILL")
    finally:
        for p in (worker, restarted, beat):
            if p is not None:
                p.kill()


@pytest.fixture
def own_redis():
    """A Redis of this test only (it gets stopped and restarted), without persistence."""
    data_dir = tempfile.mkdtemp(prefix="thidua-redis-own-")
    port = free_port()
    state = {"port": port, "dir": data_dir, "proc": start_redis(port, data_dir, appendonly=False)}
    yield state
    proc = state["proc"]
    if proc is not None and proc.poll() is None:
        proc.terminate()
        proc.wait(5)
    shutil.rmtree(data_dir, ignore_errors=True)


def test_redis_down_user_changes_saved_then_sweep_converges(tmp_path, own_redis):
    url = f"redis://127.0.0.1:{own_redis['port']}/0"
    app = make_app(tmp_path, url)
    ctx = app.app_context()
    ctx.push()
    procs = []
    try:
        from tests.factories import Factory

        factory = Factory(db.session)
        c, doc, data = random_campaign(factory, random.Random(44), n_units=10)
        cid = c.id
        recompute.recompute_provisional(cid)
        before = provisional_rows(cid)
        env = env_for(app, url, tmp_path)
        procs.append(start_worker(env, tmp_path, "w1"))
        procs.append(start_beat(env, tmp_path))
        # Stop Redis (by its recorded PID): the broker and the cache are gone.
        own_redis["proc"].terminate()
        own_redis["proc"].wait(5)
        own_redis["proc"] = None
        from campaign.models import Entry

        t0 = time.monotonic()
        for k, eid in enumerate(list(data)[:5]):
            save_values(db.session.get(Entry, eid), doc, {"I.2": float(k), "II.1": 6.0})
            mark_stale(cid)
            db.session.commit()  # must not raise although Redis is down
        took = time.monotonic() - t0
        db.session.expire_all()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(IndicatorValue)
                                 .where(IndicatorValue.value_num == 6.0)) >= 5
        assert not is_fresh(cid)
        assert provisional_rows(cid) == before  # nothing recomputed meanwhile
        # Redis back (empty: every queued message is lost) → the beat sweep re-enqueues.
        own_redis["proc"] = start_redis(own_redis["port"], own_redis["dir"], appendonly=False)
        back = time.monotonic()
        assert wait_until(lambda: is_fresh(cid), 60, 0.25), procs[0].log.read_text()[-3000:]
        assert took < 5, f"saves were slowed down by the dead broker: {took:.1f} s"
        print(f"5 saves with Redis down took {took:.2f} s; converged {time.monotonic() - back:.1f} s after restart")
        for p in procs:
            p.stop()
        procs = []
        assert provisional_rows(cid) == clean_rows(cid)
    finally:
        for p in procs:
            p.kill()
        db.session.remove()
        db.engine.dispose()
        ctx.pop()
        app._drop_test_db()
