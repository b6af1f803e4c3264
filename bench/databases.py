"""A throwaway, migrated database for a bench, on the server the benches use; and a history to fill it with."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import asyncpg

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


# Users of a history seed get ids from here up, away from every bench's own users.
HISTORY_USER_IDS_FROM = 50_000_001
# The chats of a history ended this long ago: past the flood window, within message retention.
_HISTORY_AGE = timedelta(hours=1)


async def add_history(pool: asyncpg.Pool[Any], users: int, messages: int) -> None:
    """A bot that has been running: `users` more users, who had ended chats in pairs, with
    `messages` messages between them (sent, relayed, an hour ago); statistics refreshed after."""
    chats = users // 2
    async with pool.acquire() as connection, connection.transaction():
        await connection.execute(
            "INSERT INTO users (id, gender, age) SELECT $1 + g, CASE WHEN g % 2 = 0 THEN 'male' ELSE 'female' END,"
            " 18 + g % 50 FROM generate_series(0, $2 - 1) AS g",
            HISTORY_USER_IDS_FROM,
            users,
        )
        await connection.execute(
            "INSERT INTO chats (user_a, user_b, started_at, ended_at, ended_by, end_reason)"
            " SELECT $1 + 2 * g, $1 + 2 * g + 1, now() - $3::interval - interval '10 minutes',"
            " now() - $3::interval, $1 + 2 * g, 'stop' FROM generate_series(0, $2 - 1) AS g",
            HISTORY_USER_IDS_FROM,
            chats,
            _HISTORY_AGE,
        )
        await connection.execute(
            "INSERT INTO chat_participants (chat_id, user_id, active)"
            " SELECT id, side, FALSE FROM chats, unnest(ARRAY[user_a, user_b]) AS side WHERE user_a >= $1",
            HISTORY_USER_IDS_FROM,
        )
        await connection.execute(
            "INSERT INTO messages (chat_id, sender_id, source_message_id, kind, text, relayed_message_id, created_at)"
            " SELECT c.id, CASE WHEN n % 2 = 0 THEN c.user_a ELSE c.user_b END, n, 'text', 'hello', n,"
            "        c.started_at + n * interval '1 second'"
            " FROM (SELECT id, user_a, user_b, started_at, row_number() OVER (ORDER BY id) - 1 AS k"
            "       FROM chats WHERE user_a >= $1) AS c,"
            "      generate_series(1, $2::bigint / $3::bigint"
            "                         + CASE WHEN c.k < $2::bigint % $3::bigint THEN 1 ELSE 0 END) AS n",
            HISTORY_USER_IDS_FROM,
            messages,
            chats,
        )
    await pool.execute("ANALYZE")
