"""gunicorn's settings for production (Dockerfile, docker-compose.yml):
``gunicorn -c python:ganapati.gunicorn_conf ganapati.wsgi:application``.

Threaded workers (``gthread``): the worker timeout is the heartbeat of the process, not the
length of one request, so a large file sent to a slow client is not cut off in the middle
(with sync workers the process is killed at ``--timeout`` and the client receives a
truncated body — tests/test_slow_download.py shows both). Each variable can be overridden
by the environment.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
# (gunicorn turns "sync" into "gthread" when threads > 1: one thread for a sync worker.)
threads = int(os.environ.get("GUNICORN_THREADS", "4" if worker_class == "gthread" else "1"))
# A worker whose main loop is stuck this long is restarted (not a limit on a request's length
# with gthread; a page that takes this long is a bug).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# Recycle workers now and then: memory a library leaks (WeasyPrint, PDF parsing) is given back.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "200"))
# "-": standard output; GUNICORN_ACCESS_LOG=off for none.
_access_log = os.environ.get("GUNICORN_ACCESS_LOG", "-")
accesslog = None if _access_log == "off" else _access_log
