"""The admin `flask` commands: import-units, import-framework, export-framework, create-campaign, list-campaigns."""
from __future__ import annotations

import json

import sqlalchemy as sa

from campaign.extensions import db
from campaign.models import Campaign, CampaignUnit, Unit
from campaign.services.setup import framework_io
from tests.admin_helpers import SMALL_GSO, gso_xlsx


def _run(app, *args):
    result = app.test_cli_runner().invoke(args=list(args))
    return result


def test_import_units_dry_run_then_real(app, tmp_path):
    path = tmp_path / "dm.xlsx"
    path.write_bytes(gso_xlsx(SMALL_GSO))
    r = _run(app, "import-units", str(path), "--dry-run")
    assert r.exit_code == 0, r.output
    assert "DRY RUN" in r.output and "created 9" in r.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Unit)) == 0
    r = _run(app, "import-units", str(path))
    assert r.exit_code == 0 and "created 9" in r.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Unit)) == 9


def test_import_units_broken_file_fails_cleanly(app, tmp_path):
    path = tmp_path / "bad.xlsx"
    path.write_bytes(b"PK not a zip")
    r = _run(app, "import-units", str(path))
    assert r.exit_code != 0 and "không có thay đổi nào được lưu" in r.output


def test_framework_import_export_round_trip(app, tmp_path):
    src = tmp_path / "ntm.yaml"
    with app.test_request_context():
        src.write_text(framework_io.dumps(framework_io.template_doc("ntm-2016")), encoding="utf-8")
    r = _run(app, "import-framework", str(src))
    assert r.exit_code == 0 and "imported ntm-2016 v1" in r.output, r.output
    out = tmp_path / "out.yaml"
    r = _run(app, "export-framework", "ntm-2016", "-o", str(out))
    assert r.exit_code == 0 and out.read_bytes() == src.read_bytes()
    r = _run(app, "export-framework", "ntm-2016", "--format", "xlsx", "-o", str(tmp_path / "b.xlsx"))
    assert r.exit_code == 0 and (tmp_path / "b.xlsx").stat().st_size > 1000
    r = _run(app, "import-framework", str(src))
    assert "unchanged" in r.output


def test_create_and_list_campaigns(app, tmp_path, factory):
    a = factory.unit("urban_district", code="001")
    factory.unit("rural_district", code="016")
    factory.unit("ward", parent=a, code="00001")
    db.session.commit()
    r = _run(app, "create-campaign", "civilized-urban", "--name", "Văn minh đô thị 2018", "--level", "2",
             "--start", "2018-01-01", "--end", "2018-12-31", "--deadline", "2030-11-30 17:00")
    assert r.exit_code == 0, r.output
    assert "with 2 participating units" in r.output
    c = db.session.scalar(sa.select(Campaign))
    assert c.status == "draft" and c.framework_version.framework.code == "civilized-urban"
    assert {db.session.get(Unit, cu.unit_id).code for cu in db.session.scalars(sa.select(CampaignUnit))} == {"001", "016"}
    fw_file = tmp_path / "fw.json"
    with app.test_request_context():
        fw_file.write_text(framework_io.dumps(framework_io.template_doc("dan-van-kheo"), "json"), encoding="utf-8")
    r = _run(app, "create-campaign", str(fw_file), "--name", "Dân vận khéo", "--unit", "00001")
    assert r.exit_code == 0 and "with 1 participating units" in r.output
    r = _run(app, "list-campaigns", "--json")
    rows = json.loads(r.output)
    assert [(x["name"], x["participants"]) for x in rows] == [("Dân vận khéo", 1), ("Văn minh đô thị 2018", 2)]
    r = _run(app, "create-campaign", "no-such-template", "--name", "X")
    assert r.exit_code != 0
