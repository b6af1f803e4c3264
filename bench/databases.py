"""A throwaway, migrated database for a bench, on the server the benches use."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bench.bench_matchmaking import server_url
from roulette.storage.admin import create_database
from roulette.storage.admin import drop_database
from roulette.storage.migrations import apply_migrations


@asynccontextmanager
async def throwaway_database(prefix: str) -> AsyncIterator[str]:
    """The URL of a new, migrated database on DATABASE_URL's server (or the embedded one),
    dropped when the block ends."""
    server, _source = server_url()
    name = f"{prefix}_{os.getpid()}"
    database_url = await create_database(server, name)
    try:
        await asyncio.to_thread(apply_migrations, database_url)
        yield database_url
    finally:
        await drop_database(server, name)
