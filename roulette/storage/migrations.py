"""Schema migrations with yoyo, serialised across processes."""

from __future__ import annotations

import logging
from pathlib import Path

import psycopg
from yoyo import get_backend, read_migrations

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"
# Any constant works; it only has to be the same in every process of this app.
_MIGRATION_LOCK_KEY = 0x616E6F63  # "anoc"


def yoyo_url(database_url: str) -> str:
    """The same server, addressed through yoyo's psycopg 3 backend."""
    scheme, sep, rest = database_url.partition("://")
    if not sep or scheme not in {"postgres", "postgresql"}:
        raise ValueError("DATABASE_URL must start with postgresql://")
    return f"postgresql+psycopg://{rest}"


def apply_migrations(database_url: str) -> int:
    """Apply every pending migration; return how many were applied.

    yoyo's own lock table guards the migration itself; the session advisory lock around it
    makes two processes that start at the same instant wait for each other instead of
    racing to create yoyo's bookkeeping tables, and it is released if a process dies.
    """
    with psycopg.connect(database_url, autocommit=True) as guard:
        guard.execute("SELECT pg_advisory_lock(%s)", (_MIGRATION_LOCK_KEY,))
        try:
            backend = get_backend(yoyo_url(database_url))
            try:
                migrations = read_migrations(str(MIGRATIONS_DIR))
                with backend.lock():
                    pending = backend.to_apply(migrations)
                    backend.apply_migrations(pending)
                if pending:
                    log.info("applied %d migration(s)", len(pending))
                return len(pending)
            finally:
                backend.connection.close()
        finally:
            guard.execute("SELECT pg_advisory_unlock(%s)", (_MIGRATION_LOCK_KEY,))


def rollback_migrations(database_url: str, count: int | None = None) -> int:
    """Roll back the newest `count` applied migrations (all when None)."""
    with psycopg.connect(database_url, autocommit=True) as guard:
        guard.execute("SELECT pg_advisory_lock(%s)", (_MIGRATION_LOCK_KEY,))
        try:
            backend = get_backend(yoyo_url(database_url))
            try:
                migrations = read_migrations(str(MIGRATIONS_DIR))
                with backend.lock():
                    applied = backend.to_rollback(migrations)
                    if count is not None:
                        applied = applied[:count]
                    backend.rollback_migrations(applied)
                return len(applied)
            finally:
                backend.connection.close()
        finally:
            guard.execute("SELECT pg_advisory_unlock(%s)", (_MIGRATION_LOCK_KEY,))
