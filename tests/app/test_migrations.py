"""The migrations (the only schema path `make run` uses) match the models exactly."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from campaign.extensions import db
from tests.conftest import make_app


def test_migrations_create_the_model_schema(tmp_path, redis_url):
    app = make_app(tmp_path, redis_url)
    with app.app_context():
        db.drop_all()
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
        assert diff == []
        db.engine.dispose()
    app._drop_test_db()


def test_migrated_unit_codes_are_unique_only_among_current_units(tmp_path, redis_url):
    """GSO reuses codes: an ended unit and a current one may share a code, two current ones may not."""
    import pytest
    import sqlalchemy as sa

    app = make_app(tmp_path, redis_url)
    with app.app_context():
        db.drop_all()
        upgrade()
        insert = sa.text("INSERT INTO unit (code, name, kind, level, is_demo, valid_from, valid_to, created_at, updated_at) "
                         "VALUES ('00004', :name, 'ward', 3, false, '2018-01-01', :ended, '2026-01-01', '2026-01-01')")
        with db.engine.begin() as conn:
            conn.execute(insert, {"name": "Phường Trúc Bạch", "ended": "2025-06-30"})
            conn.execute(insert, {"name": "Phường Ba Đình", "ended": None})
        with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as conn:
            conn.execute(insert, {"name": "Phường khác", "ended": None})
        db.engine.dispose()
    app._drop_test_db()
