"""gunicorn settings for `make run` and production; override with GUNICORN_CMD_ARGS."""
import os

workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "sync"
timeout = 60
graceful_timeout = 20
accesslog = "-" if os.environ.get("THIDUA_ACCESS_LOG", "0") == "1" else None
errorlog = "-"
preload_app = False
