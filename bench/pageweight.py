"""Benchmark: what a first visit of the public leaderboard costs a phone on a slow connection.

    python -m bench.pageweight [--repeat 3] [--rtt-ms 400] [--down-mbit 1.6]

Starts the same published board as ``bench.leaderboard`` (gunicorn with the shipped
gunicorn.conf.py, its own Redis, the cache warmed), then opens ``/leaderboard`` in Debian's
Chromium (headless) with an empty cache, a 375 × 812 viewport and Chromium's own network
emulation of a slow 4G connection (400 ms round trip, 1.6 Mbit/s down, 750 kbit/s up) and
measures, from the start of navigation (``performance.now()``):

- bytes: everything transferred for the visit, compressed, as Chromium counts it
  (``encodedDataLength`` of every response, headers included), until the network is idle;
- table_visible_s: the ranking table (rendered by the server) is visible;
- chart_visible_s: the Plotly chart has drawn its SVG.

Figures are medians over ``--repeat`` fresh visits. Last line:

    pageweight: bytes=… table_visible_s=… chart_visible_s=…

Budget (issue "Words, numbers and charts…"): bytes ≤ 400 KB, table ≤ 2.5 s, chart ≤ 4 s.
Static files go pre-compressed (Brotli where the browser offers it, else gzip: see
scripts/vendor_assets.py); the per-request encodings are printed for each visit.
"""
from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--headless=new", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def visit(browser, url: str, rtt_ms: float, down_mbit: float) -> dict:
    """One first visit with an empty cache under emulated network conditions."""
    context = browser.new_context(viewport={"width": 375, "height": 812}, device_scale_factor=2, is_mobile=True)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    cdp.send("Network.emulateNetworkConditions", {
        "offline": False, "latency": rtt_ms,
        "downloadThroughput": down_mbit * 1_000_000 / 8, "uploadThroughput": 750_000 / 8})
    transferred: list[int] = []
    encodings: dict[str, str] = {}
    cdp.on("Network.loadingFinished", lambda e: transferred.append(int(e["encodedDataLength"])))
    cdp.on("Network.responseReceived",
           lambda e: encodings.__setitem__(e["response"]["url"].split("?")[0].rsplit("/", 1)[-1],
                                           {k.lower(): v for k, v in e["response"]["headers"].items()}
                                           .get("content-encoding", "-")))
    page.goto(url, wait_until="commit")
    page.wait_for_selector('[data-testid="leaderboard-table"]', state="visible", timeout=60_000)
    table_s = page.evaluate("performance.now()") / 1000
    page.wait_for_selector('[data-testid="board-chart"] .main-svg', state="visible", timeout=60_000)
    chart_s = page.evaluate("performance.now()") / 1000
    page.wait_for_load_state("networkidle")
    first_row = page.locator('[data-testid="leaderboard-table"] tbody tr').first.inner_text()
    context.close()
    return {"bytes": sum(transferred), "table_s": table_s, "chart_s": chart_s, "requests": len(transferred),
            "encodings": encodings, "first_row": " ".join(first_row.split())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rtt-ms", type=float, default=400.0)
    parser.add_argument("--down-mbit", type=float, default=1.6)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from playwright.sync_api import sync_playwright

    from bench.leaderboard import served_board

    with served_board() as served, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        url = f"{served['base']}/leaderboard"
        visit(browser, url, 0, 1000)  # warm the server's per-worker caches, not the browser's
        runs = []
        for i in range(args.repeat):
            r = visit(browser, url, args.rtt_ms, args.down_mbit)
            runs.append(r)
            print(f"visit {i + 1}: bytes={r['bytes']} requests={r['requests']} table_visible_s={r['table_s']:.2f} "
                  f"chart_visible_s={r['chart_s']:.2f} encodings={r['encodings']}", flush=True)
        browser.close()
    print(f"first row on screen: {runs[-1]['first_row']}")
    print(f"setup: 375x812 phone viewport, rtt={args.rtt_ms:.0f}ms down={args.down_mbit}Mbit/s up=0.75Mbit/s, "
          f"empty cache, median of {args.repeat}; budget bytes<=400000 table<=2.5s chart<=4s")
    print(f"pageweight: bytes={statistics.median(r['bytes'] for r in runs):.0f} "
          f"table_visible_s={statistics.median(r['table_s'] for r in runs):.2f} "
          f"chart_visible_s={statistics.median(r['chart_s'] for r in runs):.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
