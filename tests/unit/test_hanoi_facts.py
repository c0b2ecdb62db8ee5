"""The embedded district facts agree with the official data file in shared/data."""
import csv
from pathlib import Path

import pytest

from campaign.hanoi import DISTRICTS

CSV = Path(__file__).resolve().parents[3] / "shared" / "data" / "hanoi_districts_2018.csv"


def test_thirty_districts_and_584_communes():
    assert len(DISTRICTS) == 30
    assert sum(d.wards for d in DISTRICTS) == 177
    assert sum(d.communes for d in DISTRICTS) == 386
    assert sum(d.townships for d in DISTRICTS) == 21
    assert [d.kind for d in DISTRICTS].count("urban_district") == 12
    assert [d.kind for d in DISTRICTS].count("rural_district") == 17


@pytest.mark.skipif(not CSV.exists(), reason="shared/data is not beside the checkout")
def test_matches_shared_csv():
    with CSV.open(encoding="utf-8") as fh:
        rows = {r["gso_code"]: r for r in csv.DictReader(fh)}
    for d in DISTRICTS:
        row = rows[d.code]
        assert (row["name_with_type"], row["type"]) == (d.name, d.kind)
        assert (int(row["wards"]), int(row["communes"]), int(row["townships"])) == (d.wards, d.communes, d.townships)
        assert (int(row["population_2019"]) if row["population_2019"] else None) == d.population
