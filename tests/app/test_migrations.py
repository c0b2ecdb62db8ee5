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
