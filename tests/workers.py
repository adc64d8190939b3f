"""A real Celery worker process for tests: its own queue on the real Redis, the test's PostgreSQL
database, and the environment the test gives it (storage, mail folder...)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

from django.db import connection

from ganapati.celery import app as celery_app

from .conftest import require

ROOT = Path(__file__).resolve().parent.parent


def require_services() -> str:
    require(connection.vendor == "postgresql", "PostgreSQL requis (DATABASE_URL)")
    broker = os.environ.get("CELERY_BROKER_URL", "")
    require(broker.startswith("redis://"), "Redis requis (CELERY_BROKER_URL)")
    return broker


def database_url() -> str:
    db = connection.settings_dict
    return (
        f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )


def start_worker(queue: str, env: dict[str, str], *, concurrency: int = 1) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "ganapati", "worker", "-Q", queue,
         "--pool=prefork", f"--concurrency={concurrency}", "--without-heartbeat",
         "--without-gossip", "--without-mingle", "--loglevel=WARNING"],
        cwd=ROOT, env={**os.environ, "DJANGO_SETTINGS_MODULE": "ganapati.settings_test",
                       "DATABASE_URL": database_url(), "CELERY_TASK_DEFAULT_QUEUE": queue,
                       **env},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,  # its own process group: killed as a whole
    )  # fmt: skip


def stop(worker: subprocess.Popen, *, kill: bool = False) -> str:
    import signal

    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGKILL if kill else signal.SIGTERM)
    try:
        return worker.communicate(timeout=30)[0] or ""
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, signal.SIGKILL)
        return worker.communicate(timeout=10)[0] or ""


@contextmanager
def tasks_sent_to(queue: str, broker: str):
    """Tasks queued by the test process go to `queue` on the real broker, not in-process.

    (The queue is given to every apply_async: Celery caches its routing on first use, so
    changing the default queue afterwards would not be seen.)"""
    from celery.app.task import Task
    from kombu import Exchange, Queue

    conf = celery_app.conf
    saved_eager, original = conf.task_always_eager, Task.apply_async
    conf.task_always_eager = False

    def routed(self, args=None, kwargs=None, **options):
        options.setdefault("queue", queue)
        return original(self, args, kwargs, **options)

    # Declare the queue now: Redis drops messages routed to a queue nobody declared yet.
    with celery_app.connection_for_write() as conn:
        Queue(queue, Exchange(queue, type="direct"), routing_key=queue)(
            conn.default_channel
        ).declare()
    Task.apply_async = routed
    try:
        yield
    finally:
        Task.apply_async = original
        conf.task_always_eager = saved_eager


def new_queue() -> str:
    return f"test-{uuid.uuid4().hex}"


def wait_for(predicate, *, timeout: float, interval: float = 0.05, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"délai dépassé ({timeout} s) : {what}")
