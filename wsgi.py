"""Entry point for gunicorn (``wsgi:app``) and Celery (``celery -A wsgi:celery_app worker``)."""
import os

from campaign import create_app

app = create_app(os.environ.get("THIDUA_CONFIG", "config.DevelopmentConfig"))
celery_app = app.extensions["celery"]
