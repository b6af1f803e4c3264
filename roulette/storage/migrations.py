"""Schema migrations with yoyo, serialised across processes."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from yoyo import get_backend
from yoyo import read_migrations

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"
# Functions are not frozen in a numbered migration: each file here is the definition in force,
# written to be applied again (CREATE OR REPLACE, or DROP IF EXISTS first), and all of them are
# applied after the numbered migrations on every run.
FUNCTIONS_DIR = Path(__file__).resolve().parents[2] / "sql" / "functions"
# Any constant works; it only has to be the same in every process of this app.
_MIGRATION_LOCK_KEY = 0x616E6F63  # "anoc"


def yoyo_url(database_url: str) -> str:
    """The same server, addressed through yoyo's psycopg 3 backend."""
    scheme, sep, rest = database_url.partition("://")
    if not sep or scheme not in {"postgres", "postgresql"}:
        raise ValueError("DATABASE_URL must start with postgresql://")
    return f"postgresql+psycopg://{rest}"


@contextmanager
def _locked_backend(database_url: str) -> Iterator[Any]:
    """yoyo's backend, inside yoyo's lock and a session advisory lock.

    yoyo's own lock table guards a migration; the advisory lock around it makes two processes
    that start at the same instant wait for each other instead of racing to create yoyo's
    bookkeeping tables, and it is released if a process dies.
    """
    with psycopg.connect(database_url, autocommit=True) as guard:
        guard.execute("SELECT pg_advisory_lock(%s)", (_MIGRATION_LOCK_KEY,))
        try:
            backend = get_backend(yoyo_url(database_url))
            try:
                with backend.lock():
                    yield backend
            finally:
                backend.connection.close()
        finally:
            guard.execute("SELECT pg_advisory_unlock(%s)", (_MIGRATION_LOCK_KEY,))


def apply_functions(connection: psycopg.Connection[Any]) -> int:
    """(Re)create every function of sql/functions in one transaction; return how many files."""
    files = sorted(FUNCTIONS_DIR.glob("*.sql"))
    with connection.transaction():
        for path in files:
            connection.execute(path.read_text(encoding="utf-8").encode())
    return len(files)


def apply_migrations(database_url: str) -> int:
    """Apply every pending migration, then the functions; return how many migrations were applied."""
    with _locked_backend(database_url) as backend:
        pending = backend.to_apply(read_migrations(str(MIGRATIONS_DIR)))
        backend.apply_migrations(pending)
        with psycopg.connect(database_url, autocommit=True) as connection:
            apply_functions(connection)
    if pending:
        log.info("applied %d migration(s)", len(pending))
    return len(pending)


def rollback_migrations(database_url: str, count: int | None = None) -> int:
    """Roll back the newest `count` applied migrations (all when None)."""
    with _locked_backend(database_url) as backend:
        applied = backend.to_rollback(read_migrations(str(MIGRATIONS_DIR)))
        if count is not None:
            applied = applied[:count]
        backend.rollback_migrations(applied)
    return len(applied)
