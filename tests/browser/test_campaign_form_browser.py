"""Browser: the new-campaign form's band table is usable on a phone and on a laptop (its inputs
shrank to slivers at 375 px: "90" read "9", a band name "Hoà"; then the table scrolled sideways in
its box, the floors out of sight: on a phone each band is now a card of labelled fields); the
cluster form's long member list has a filter and a count of the units chosen."""
from __future__ import annotations

import os

import pytest

from tests.browser.common import CHROMIUM, logged_in_page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's Chromium (/usr/bin/chromium) is not installed"),
]


@pytest.mark.parametrize("width", [375, 1366])
def test_band_inputs_keep_a_readable_width(demo_server, width):
    with logged_in_page(demo_server, "admin", width) as page:
        page.goto(f"{demo_server}/admin/campaigns/new", wait_until="load")
        minimum = page.locator('[data-testid="band-min-0"]')
        assert minimum.input_value() == "90"
        assert minimum.bounding_box()["width"] >= 80
        name = page.locator('[data-testid="bands"] td.band-name input').first
        assert name.input_value() == "Hoàn thành xuất sắc nhiệm vụ"
        assert name.bounding_box()["width"] >= 200
        # the page itself does not scroll sideways
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        label = page.locator('[data-testid="bands"] label[for="bands-0-min_total"]')
        if width == 375:  # every field under its name, nothing off to the side
            assert label.is_visible() and label.inner_text() == "Điểm tối thiểu"
            assert page.locator('[data-testid="bands"] thead').is_hidden()
            assert page.evaluate("""(() => { const w = document.querySelector('.bands-wrap');
                                      return w.scrollWidth <= w.clientWidth + 1; })()""")
            floors = page.locator('[data-testid="band-floors-0"]').bounding_box()
            assert floors["x"] + floors["width"] <= 375
        else:  # a laptop: one row per band under the column heads, the longest name shown whole
            assert label.is_hidden() and page.locator('[data-testid="bands"] thead').is_visible()
            assert name.evaluate("i => i.scrollWidth <= i.clientWidth")


def test_the_cluster_member_list_filters_without_accents_and_counts_the_units_chosen(demo_server):
    with logged_in_page(demo_server, "admin", 375) as page:
        page.goto(f"{demo_server}/admin/clusters/new", wait_until="load")
        items = page.locator('[data-testid="members"] li')
        total = items.count()
        count = page.locator('[data-testid="member-count"]')
        assert count.inner_text() == f"Đã chọn 0 / {total} đơn vị"
        page.fill('[data-testid="member-filter"]', "ba dinh")
        shown = page.locator('[data-testid="members"] li:visible')
        assert 1 <= shown.count() < total
        assert all("Ba Đình" in t for t in shown.all_inner_texts())
        shown.first.locator("input").check()
        assert count.inner_text() == f"Đã chọn 1 / {total} đơn vị"
        page.fill('[data-testid="member-filter"]', "không có đơn vị này")
        assert shown.count() == 0 and page.locator('[data-testid="member-none"]').is_visible()
        page.fill('[data-testid="member-filter"]', "")
        assert shown.count() == total
        # the head can only be one of the ticked members
        head = page.locator("#head_unit_id")
        ticked = shown.locator("input:checked").first.get_attribute("value")
        enabled = head.locator("option:not([disabled])").evaluate_all("os => os.map(o => o.value)")
        assert enabled == ["", ticked]
        assert "Là một đơn vị đã đánh dấu ở danh sách trên." in page.inner_text('[data-testid="cluster-form"]')
