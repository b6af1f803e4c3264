"""Server-level chores: naming databases in a URL, creating and dropping them."""

from __future__ import annotations

from urllib.parse import urlsplit
from urllib.parse import urlunsplit

import asyncpg


def with_database(database_url: str, name: str) -> str:
    """The same server and credentials, another database."""
    parts = urlsplit(database_url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def database_name(database_url: str) -> str:
    return urlsplit(database_url).path.lstrip("/") or "postgres"


def _quote(name: str) -> str:
    if not name.replace("_", "").isalnum():
        raise ValueError(f"unexpected database name {name!r}")
    return f'"{name}"'


async def create_database(server_url: str, name: str, *, template: str | None = None) -> str:
    """Create `name` (from `template` when given) and return its URL."""
    connection = await asyncpg.connect(with_database(server_url, "postgres"))
    try:
        # FILE_COPY copies a small template far faster than the default WAL_LOG strategy.
        clause = f" TEMPLATE {_quote(template)} STRATEGY FILE_COPY" if template else ""
        await connection.execute(f"CREATE DATABASE {_quote(name)}{clause}")
    finally:
        await connection.close()
    return with_database(server_url, name)


async def drop_database(server_url: str, name: str) -> None:
    connection = await asyncpg.connect(with_database(server_url, "postgres"))
    try:
        await connection.execute(f"DROP DATABASE IF EXISTS {_quote(name)} WITH (FORCE)")
    finally:
        await connection.close()
