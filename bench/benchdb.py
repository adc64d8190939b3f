"""The benches' scratch PostgreSQL databases (bench/pages.py, bench/audit_http.py)."""

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
