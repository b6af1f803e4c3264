"""What remembering the partner's copy id costs: the UPDATE of `messages` against a narrow insert-only table.

    python bench/bench_copy_ids.py [--messages 4000] [--batch 1,8]

The relay path stores each message (sql/store_messages.sql) and, once the copy was sent, writes the
copy's id with an UPDATE of an indexed column (sql/record_relayed_many.sql, several relays sharing
one statement). docs/scaling.md proposed an insert-only table `(message_id, chat_id,
relayed_message_id)` instead. Both are run here with the real store statement, on one connection,
in alternating blocks (A B A B …), in a throwaway database on the server in DATABASE_URL or the
embedded PostgreSQL in .data/bench-postgres; the narrow table exists only in that database.
Per relayed message: WAL records and bytes (this connection's, exact), updates of `messages`
that could not be HOT (each leaves a dead row version and new index entries for vacuum), and
the time of store + copy id as the client sees it (median block, and as a ratio: the box is shared).
`--batch` is how many copy ids share one statement (about 1 in webhook mode, more in polling).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any
from typing import TypeAlias

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make `roulette` importable
    sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402
from asyncpg.pool import PoolConnectionProxy  # noqa: E402

from bench.databases import throwaway_database  # noqa: E402
from roulette.domain import Gender  # noqa: E402
from roulette.domain import MessageContent  # noqa: E402
from roulette.domain import Profile  # noqa: E402
from roulette.domain import User  # noqa: E402
from roulette.storage.message_store import StoreRequest  # noqa: E402
from roulette.storage.message_store import StoreRules  # noqa: E402
from roulette.storage.message_store import store_messages  # noqa: E402
from roulette.storage.pool import create_pool  # noqa: E402
from roulette.storage.repositories import MessageRepository  # noqa: E402
from roulette.storage.uow import Database  # noqa: E402
from roulette.usecases.search import StartSearch  # noqa: E402
from tests.support.seeding import add_users  # noqa: E402

if TYPE_CHECKING:
    Connection: TypeAlias = asyncpg.Connection[Any] | PoolConnectionProxy[Any]
PAIRS = 50
BLOCK = 250  # messages per block; blocks of the two ways alternate
_NARROW_TABLE = """
CREATE TABLE bench_relayed_copies (
    message_id          BIGINT PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
    chat_id             BIGINT NOT NULL,
    relayed_message_id  BIGINT NOT NULL
);
CREATE INDEX bench_relayed_copies_lookup ON bench_relayed_copies (chat_id, relayed_message_id);
"""
_INSERT_NARROW = """
INSERT INTO bench_relayed_copies (message_id, chat_id, relayed_message_id)
SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[])
"""
# this connection's own WAL (PostgreSQL 18): other work on the server does not count
_WAL = "SELECT wal_records, wal_bytes FROM pg_stat_get_backend_wal(pg_backend_pid())"
# updates of `messages` that could not be HOT: each leaves a dead row version and new index entries
_COLD_UPDATES = "SELECT n_tup_upd - n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'messages'"


async def wal(connection: Connection) -> tuple[int, int]:
    await connection.execute("SELECT pg_stat_force_next_flush()")
    await connection.execute("SELECT 1")  # the flush happens at the end of a statement
    record = await connection.fetchrow(_WAL)
    assert record is not None
    return int(record["wal_records"]), int(record["wal_bytes"])


async def pairs(pool: asyncpg.Pool[Any]) -> list[tuple[int, int]]:
    """Senders in a chat, with their chat's id."""
    ids = list(range(1, 2 * PAIRS + 1))
    await add_users(pool, [User(user_id, profile=Profile(Gender.MALE, 30)) for user_id in ids])
    search = StartSearch(Database(pool))
    for user_id in ids:
        await search(user_id)
    rows = await pool.fetch("SELECT user_id, chat_id FROM chat_participants WHERE active")
    return [(row["user_id"], row["chat_id"]) for row in rows]


async def block(
    connection: Connection, senders: list[tuple[int, int]], way: str, batch: int, first: int
) -> tuple[float, int, int, int]:
    """Relay BLOCK messages one way; (seconds, WAL records, WAL bytes, non-HOT updates) for the block."""
    messages = MessageRepository(connection)
    records_before, bytes_before = await wal(connection)
    cold_before = await connection.fetchval(_COLD_UPDATES)
    pending: list[tuple[int, int, int]] = []
    started = time.perf_counter()
    for n in range(first, first + BLOCK):
        sender, chat_id = senders[n % len(senders)]
        (stored,) = await store_messages(
            connection, [StoreRequest(sender, n, MessageContent.text_message(f"message {n}"))], StoreRules(10**6, 1)
        )
        assert stored.message_id is not None
        pending.append((stored.message_id, chat_id, 10**9 + n))
        if len(pending) == batch:
            if way == "update":
                await messages.record_relayed([(message_id, copy_id) for message_id, _, copy_id in pending])
            else:
                await connection.execute(_INSERT_NARROW, *map(list, zip(*pending, strict=True)))
            pending = []
    seconds = time.perf_counter() - started
    records_after, bytes_after = await wal(connection)  # also flushed the table's counts
    cold = await connection.fetchval(_COLD_UPDATES) - cold_before
    return seconds, records_after - records_before, bytes_after - bytes_before, cold


async def measure(database_url: str, messages: int, batches: Sequence[int]) -> None:
    pool = await create_pool(database_url, min_size=1, max_size=2)
    try:
        senders = await pairs(pool)
        async with pool.acquire() as connection:
            await connection.execute(_NARROW_TABLE)
            first = 1
            print(f"{BLOCK}-message blocks, {messages} messages each way per batch size, alternating")
            print(f"{'batch':>5} {'way':>7} {'WAL records':>12} {'WAL bytes':>10} {'cold upd.':>10} {'ms/message':>11}")
            for batch in batches:
                found: dict[str, list[tuple[float, int, int, int]]] = {"update": [], "insert": []}
                for _ in range(max(1, messages // BLOCK)):
                    for way in ("update", "insert") if first % 2 else ("insert", "update"):
                        found[way].append(await block(connection, senders, way, batch, first))
                        first += BLOCK
                per_message = {
                    way: statistics.median(row[0] for row in rows) / BLOCK * 1000 for way, rows in found.items()
                }
                for way, rows in found.items():
                    count = BLOCK * len(rows)
                    print(
                        f"{batch:>5} {way:>7} {sum(row[1] for row in rows) / count:>12.2f}"
                        f" {sum(row[2] for row in rows) / count:>10.0f} {sum(row[3] for row in rows) / count:>10.2f}"
                        f" {per_message[way]:>11.3f}"
                    )
                print(f"      insert / update, time per message: {per_message['insert'] / per_message['update']:.2f}")
    finally:
        await pool.close()


async def run(messages: int, batches: Sequence[int]) -> None:
    async with throwaway_database("anochat_bench_copy_ids") as database_url:
        await measure(database_url, messages, batches)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=4000, help="messages each way per batch size (4000)")
    parser.add_argument("--batch", default="1,8", help="copy ids per statement, comma-separated (1,8)")
    args = parser.parse_args(argv)
    asyncio.run(run(args.messages, [int(batch) for batch in args.batch.split(",")]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
