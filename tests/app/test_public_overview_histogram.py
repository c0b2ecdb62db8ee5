"""The overview's score histogram is coloured by band, as the board's distribution and the badges
(walk finding 18: it was plain purple while the board's used the band colours)."""
from __future__ import annotations

import json
import re

from campaign.extensions import db
from tests.public_helpers import BANDS, publish


def test_overview_histogram_stacks_units_by_band_in_the_badges_colours(client, factory):
    units = [factory.unit(code=f"00{i}", name=f"Quận {i}") for i in range(4)]
    camp = factory.campaign(units=units, slug="h", settings={"bands": BANDS})
    # 95 → Xuất sắc (gold), 80 → Tốt (green), 60 and 55 → Hoàn thành (blue)
    publish(camp, [(units[0], 95, 1, {"I": 95}), (units[1], 80, 2, {"I": 80}),
                   (units[2], 60, 3, {"I": 60}), (units[3], 55, 4, {"I": 55})])
    db.session.commit()
    html = client.get("/leaderboard/overview").get_data(as_text=True)
    fig = json.loads(re.search(r'<script type="application/json" id="fig-dist">(.*?)</script>', html, re.S).group(1))
    colours = {t["marker"]["color"]: sum(t["y"]) for t in fig["data"]}
    assert colours == {"#c99700": 1, "#1e7b34": 1, "#1a5fb4": 2}  # gold, green, blue as the badges; 4 units
