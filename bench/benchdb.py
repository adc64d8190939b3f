"""The benches' scratch databases: PostgreSQL (bench/pages.py, bench/audit_http.py) and SQLite
(bench/documents.py, bench/gc_worker.py)."""

from __future__ import annotations


def recreate(url: str) -> None:
    """Drop the database `url` names and create it empty (rows of an earlier run, or of another
    bench, would point at files stored in that run's folder). Not PostgreSQL: nothing to do."""
    if not url.startswith(("postgres://", "postgresql://")):
        return
    import psycopg
    from psycopg import sql

    base, name = url.rsplit("/", 1)
    admin = base.replace("postgres://", "postgresql://", 1) + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        database = sql.Identifier(name)
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(database))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(database))


def sqlite_in_process(prefix: str) -> str:
    """The environment of a bench run on a fresh SQLite database in a temporary folder, tasks
    run in process at the commit (no broker: what is measured is the work, not a queue);
    returns the folder. Call before Django is set up."""
    import os
    import tempfile

    folder = tempfile.mkdtemp(prefix=prefix)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ganapati.settings")
    os.environ.update(
        DEBUG="0", SECRET_KEY="bench-" * 10, ALLOWED_HOSTS="localhost", GANAPATI_VAR_DIR=folder,
        DATABASE_URL=f"sqlite:///{folder}/bench.sqlite3", LOG_LEVEL="WARNING",
    )  # fmt: skip
    os.environ.pop("CELERY_BROKER_URL", None)
    return folder
