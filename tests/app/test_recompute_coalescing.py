"""Coalescing of recompute requests (``freshness.enqueue_recompute``) against the real Redis:
a change after a quiet spell is sent at once; changes within the window send one recompute at
its end; a steady stream keeps the window open (one recompute per window, never one per change)."""
from __future__ import annotations

import time

from campaign.services.results import freshness, queue


def test_first_change_goes_at_once_the_rest_of_the_burst_once_at_the_windows_end(app, monkeypatch):
    sent = []
    monkeypatch.setattr(queue, "send", lambda name, args, countdown=0: sent.append((name, args, countdown)))
    app.config["RECOMPUTE_COALESCE_SECONDS"] = 0.5

    for _ in range(5):  # a burst: the first at once, the other four read by one trailing recompute
        assert freshness.enqueue_recompute(7)
    assert sent == [(queue.RECOMPUTE_CAMPAIGN, [7], 0), (queue.RECOMPUTE_CAMPAIGN, [7], 0.5)]
    assert freshness.enqueue_recompute(8) and sent[-1] == (queue.RECOMPUTE_CAMPAIGN, [8], 0)  # per campaign

    time.sleep(0.6)  # the trailing recompute has run; the stream goes on: still one per window
    sent.clear()
    for _ in range(3):
        freshness.enqueue_recompute(7)
    assert sent == [(queue.RECOMPUTE_CAMPAIGN, [7], 0.5)]

    time.sleep(1.1)  # quiet for longer than the window kept open: at once again
    sent.clear()
    freshness.enqueue_recompute(7)
    assert sent == [(queue.RECOMPUTE_CAMPAIGN, [7], 0)]


def test_the_sweep_and_a_window_of_zero_send_at_once_every_time(app, monkeypatch):
    sent = []
    monkeypatch.setattr(queue, "send", lambda name, args, countdown=0: sent.append(countdown))
    app.config["RECOMPUTE_COALESCE_SECONDS"] = 0.5
    freshness.enqueue_recompute(3)
    freshness.enqueue_recompute(3, coalesce=False)
    app.config["RECOMPUTE_COALESCE_SECONDS"] = 0.0
    freshness.enqueue_recompute(3)
    assert sent == [0, 0, 0]
