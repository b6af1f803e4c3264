"""Live figures for monitoring, read from the database on demand (see sql/live_figures.sql)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import asyncpg

from roulette.storage.queries import sql

_LIVE_FIGURES = sql("live_figures")
_PING = sql("ping")


@dataclass(frozen=True, slots=True)
class LiveFigures:
    active_chats: int
    searching_adults: int
    searching_minors: int


async def read_live_figures(pool: asyncpg.Pool[Any]) -> LiveFigures:
    record = await pool.fetchrow(_LIVE_FIGURES)
    assert record is not None
    return LiveFigures(**dict(record))


async def database_answers(pool: asyncpg.Pool[Any], timeout: float) -> bool:
    """Can a connection be had and a query run within `timeout` seconds?"""
    try:
        # the timeout covers waiting for a free connection too
        await asyncio.wait_for(pool.fetchval(_PING), timeout)
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
        return False
    return True
