"""PostgreSQL plumbing of the benchmarks that need a large database of their own.

Each such benchmark runs in a process of its own (``run_in_subprocess_if_postgres``), in a
database it creates and drops (``run_in_own_database``), filled with ``COPY``
(``copy_rows``) while secondary indexes and foreign keys are dropped and remade after.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

CHUNK = 200_000


def server_url() -> str:
    return os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(server_url(), autocommit=True) as connection:
        connection.execute(sql)


def run_in_subprocess_if_postgres(module: str) -> None:
    """Run ``python -m module``, or say how to once PostgreSQL answers (skipped without it)."""
    import psycopg

    label = module.rsplit(".", 1)[-1]
    try:
        psycopg.connect(server_url(), connect_timeout=3).close()
    except psycopg.OperationalError as error:
        print(
            f"{label}: SKIPPED - no PostgreSQL at {server_url()} ({error.__class__.__name__}). "
            f"Start PostgreSQL or set BENCH_POSTGRES_URL, then run `python -m {module}`."
        )
        return
    subprocess.run([sys.executable, "-m", module], check=True)  # noqa: S603 (our own module)


def run_in_own_database(name: str, run: Callable[[], None], *, keep: bool = False) -> int:
    """Create database ``name``, migrate it, ``run()``, then drop it (unless ``keep``)."""
    admin(f"DROP DATABASE IF EXISTS {name}")
    admin(f"CREATE DATABASE {name}")
    try:
        os.environ["DATABASE_URL"] = with_database(server_url(), name)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hub.settings.dev")
        os.environ["DEBUG"] = "false"
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0, interactive=False)
        run()
    finally:
        from django.db import connections

        connections.close_all()
        if not keep:
            admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    return 0


def copy_rows(cursor, table: str, columns: str, rows) -> None:
    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        buffer = []
        for row in rows:
            buffer.append(row)
            if len(buffer) >= CHUNK:
                copy.write("".join(buffer))
                buffer.clear()
        if buffer:
            copy.write("".join(buffer))


def drop_indexes_and_keys(cursor, tables: list[str]) -> list[str]:
    """Drop secondary indexes and foreign keys before COPY; return the SQL to remake them."""
    remake = []
    for table in tables:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype = 'f'",
            [table],
        )
        for name, definition in cursor.fetchall():
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            remake.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        cursor.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "WHERE i.indrelid = %s::regclass AND NOT i.indisprimary "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
            [table],
        )
        for name, definition in cursor.fetchall():
            cursor.execute(f"DROP INDEX {name}")
            remake.insert(0, definition)
    return remake


def restore_indexes_and_keys(cursor, remake: list[str]) -> None:
    for statement in remake:
        cursor.execute(statement)
