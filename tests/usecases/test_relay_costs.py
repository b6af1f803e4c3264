"""The relay's two statements read what one message needs, not what the rest of the bot wrote.

Each connection plans a statement once, for any parameters (roulette/storage/pool.py), so a plan
that is good today has to stay good as the tables grow. Measured in buffers read, as PostgreSQL
counts them for one execution (EXPLAIN ANALYZE): a count, not a time.
"""

from __future__ import annotations

import json
from typing import Any

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from roulette.storage.queries import sql
from roulette.usecases import UseCases
from tests.support.members import members_in_chat

# how much more a statement may read once the table is large: a deeper index, not a scan
SLACK = 20
OTHERS_MESSAGES = 20_000


async def _reads(connection: PoolConnectionProxy[Any], execute: str) -> int:
    """Buffers one execution of a prepared statement touched (hit or read)."""
    explained = await connection.fetchval(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {execute}")
    plan = (json.loads(explained) if isinstance(explained, str) else explained)[0]["Plan"]
    return int(plan["Shared Hit Blocks"]) + int(plan["Shared Read Blocks"])


async def _others_write(pool: asyncpg.Pool[Any], chat_id: int, sender_id: int, first: int) -> None:
    """Many messages just now, from someone else in another chat."""
    await pool.execute(
        "INSERT INTO messages (chat_id, sender_id, source_message_id, kind, text)"
        " SELECT $1, $2, g, 'text', 'hello' FROM generate_series($3::bigint, $3::bigint + $4 - 1) AS g",
        chat_id,
        sender_id,
        first,
        OTHERS_MESSAGES,
    )


def _store(source_message_id: int) -> str:
    # one message: sender 1, a text, no album, no reply; the flood guard at 20 per 10 s; no question pending
    arrays = f"'{{1}}', '{{{source_message_id}}}', '{{text}}', '{{hi}}', '{{NULL}}', '{{NULL}}', '{{NULL}}', '{{NULL}}'"
    return f"EXECUTE relay_store({arrays}, 20, 10, 0, '{{}}')"


async def test_storing_a_message_reads_as_much_however_much_others_just_sent(
    usecases: UseCases, pool: asyncpg.Pool[Any]
) -> None:
    await members_in_chat(usecases, 1, 2)
    others = await members_in_chat(usecases, 3, 4)
    async with pool.acquire() as connection:
        await connection.execute(f"PREPARE relay_store AS {sql('store_messages')}")
        few = await _reads(connection, _store(1))

        # the flood guard's count of sender 1 must not walk through sender 3's messages
        await _others_write(pool, others, 3, 1)
        await connection.execute("ANALYZE messages")  # fresh statistics: the plan is made again
        many = await _reads(connection, _store(2))

    assert many - few <= SLACK, f"{few} buffers with few messages, {many} with {OTHERS_MESSAGES:,} from others"


async def test_recording_a_copy_reads_as_much_in_a_table_that_grew_after_planning(
    usecases: UseCases, pool: asyncpg.Pool[Any]
) -> None:
    ours = await members_in_chat(usecases, 1, 2)
    others = await members_in_chat(usecases, 3, 4)
    # no statistics are refreshed while the table grows: the plan made while it was small stays
    await pool.execute("ALTER TABLE messages SET (autovacuum_enabled = off)")
    first, second = [
        await pool.fetchval(
            "INSERT INTO messages (chat_id, sender_id, source_message_id, kind, text)"
            " VALUES ($1, 1, $2, 'text', 'hi') RETURNING id",
            ours,
            source,
        )
        for source in (1, 2)
    ]
    async with pool.acquire() as connection:
        await connection.execute(f"PREPARE record_copies AS {sql('record_relayed_many')}")
        small = await _reads(connection, f"EXECUTE record_copies('{{{first}}}', '{{501}}')")

        await _others_write(pool, others, 3, 1)
        large = await _reads(connection, f"EXECUTE record_copies('{{{second}}}', '{{502}}')")

    assert large - small <= SLACK, f"{small} buffers in a small table, {large} after {OTHERS_MESSAGES:,} more rows"
    copies = await pool.fetch(
        "SELECT relayed_message_id FROM messages WHERE id = ANY ($1::bigint[]) ORDER BY id", [first, second]
    )
    assert [row["relayed_message_id"] for row in copies] == [501, 502]
