"""What storing a relayed message costs PostgreSQL, alone and with others of the same moment.

    python bench/bench_store_batches.py [--messages 3000] [--sizes 1,2,4,8,16]

The relay stores each message before copying it (sql/store_messages.sql) and records the copy's
id after (sql/record_relayed_many.sql). Messages that reach the bot in the same moment share both
statements (roulette/storage/batches.py). Here one connection stores and records messages of 50
pairs, in batches of each size, in alternating blocks (the sizes in turn, then in reverse), in a
throwaway database on the server in DATABASE_URL or the embedded PostgreSQL in .data/bench-postgres.
Per message: the server process's CPU (when the server runs on this machine), its WAL records
and the time as the client sees it, and each as a ratio to batches of one, measured in the same run
(the box is shared: only ratios within a run mean much).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make `roulette` importable
    sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402

from bench.bench_copy_ids import pairs  # noqa: E402
from bench.bench_copy_ids import wal  # noqa: E402
from bench.databases import throwaway_database  # noqa: E402
from roulette.domain import MessageContent  # noqa: E402
from roulette.storage.message_store import StoreRequest  # noqa: E402
from roulette.storage.message_store import StoreRules  # noqa: E402
from roulette.storage.message_store import store_messages  # noqa: E402
from roulette.storage.pool import create_pool  # noqa: E402
from roulette.storage.repositories import MessageRepository  # noqa: E402

if TYPE_CHECKING:
    from roulette.storage.repositories import Connection

BLOCK = 240  # messages per block (a multiple of every size tried)
# the bot's rules in the relay bench: nobody is held back by the flood guard
RULES = StoreRules(flood_limit=10_000, flood_window_seconds=1, fsm_bot_id=1)


@dataclass(frozen=True, slots=True)
class Block:
    seconds: float
    server_cpu_seconds: float | None
    wal_records: int


async def block(
    connection: Connection, server: psutil.Process | None, senders: list[int], size: int, first: int
) -> Block:
    """Store and record BLOCK messages, `size` to a statement (each from a different sender)."""
    messages = MessageRepository(connection)
    records_before, _ = await wal(connection)
    cpu_before = _cpu(server)
    started = time.perf_counter()
    for start in range(first, first + BLOCK, size):
        numbers = range(start, start + size)
        requests = [
            StoreRequest(senders[n % len(senders)], n, MessageContent.text_message(f"message {n}")) for n in numbers
        ]
        stored = await store_messages(connection, requests, RULES)
        ids = [message.message_id for message in stored if message.message_id is not None]
        assert len(ids) == size, "every sender is in a chat and under the flood limit"
        await messages.record_relayed([(message_id, 10**9 + n) for message_id, n in zip(ids, numbers, strict=True)])
    seconds = time.perf_counter() - started
    cpu_after = _cpu(server)
    records_after, _ = await wal(connection)
    cpu = cpu_after - cpu_before if cpu_after is not None and cpu_before is not None else None
    return Block(seconds, cpu, records_after - records_before)


def _cpu(process: psutil.Process | None) -> float | None:
    if process is None:
        return None
    times = process.cpu_times()
    return float(times.user + times.system)


def _server_process(pid: int) -> psutil.Process | None:
    """The server process of this connection, if the server runs on this machine."""
    try:
        return psutil.Process(pid)
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return None


async def measure(database_url: str, messages: int, sizes: Sequence[int]) -> None:
    pool = await create_pool(database_url, min_size=1, max_size=2)
    try:
        senders = sorted({sender for sender, _ in await pairs(pool)})
        async with pool.acquire() as connection:
            server = _server_process(await connection.fetchval("SELECT pg_backend_pid()"))
            found: dict[int, list[Block]] = {size: [] for size in sizes}
            first = 1
            for turn in range(max(1, messages // BLOCK)):
                for size in sizes if turn % 2 == 0 else list(reversed(sizes)):
                    found[size].append(await block(connection, server, senders, size, first))
                    first += BLOCK
    finally:
        await pool.close()
    print(f"{BLOCK}-message blocks, {max(1, messages // BLOCK) * BLOCK} messages per size, sizes in turns")
    print(f"{'size':>4} {'server CPU µs/msg':>18} {'×':>6} {'WAL records/msg':>16} {'ms/msg':>8} {'×':>6}")
    base_cpu = base_time = None
    for size, blocks in found.items():
        cpus = [b.server_cpu_seconds for b in blocks if b.server_cpu_seconds is not None]
        cpu = statistics.median(cpus) / BLOCK * 1e6 if cpus else None
        per_message = statistics.median(b.seconds for b in blocks) / BLOCK * 1000
        records = sum(b.wal_records for b in blocks) / (BLOCK * len(blocks))
        base_cpu = base_cpu if base_cpu is not None else cpu
        base_time = base_time if base_time is not None else per_message
        cpu_text = (
            f"{cpu:>18.0f} {cpu / base_cpu:>6.2f}" if cpu is not None and base_cpu else f"{'(remote)':>18} {'':>6}"
        )
        print(f"{size:>4} {cpu_text} {records:>16.1f} {per_message:>8.3f} {per_message / base_time:>6.2f}")


async def run(messages: int, sizes: Sequence[int]) -> None:
    async with throwaway_database("anochat_bench_store_batches") as database_url:
        await measure(database_url, messages, sizes)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=2880, help="messages per batch size (2880)")
    parser.add_argument("--sizes", default="1,2,4,8,16", help="messages per statement, comma-separated (1,2,4,8,16)")
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.sizes.split(",")]
    if any(size < 1 or BLOCK % size for size in sizes):
        parser.error(f"each size must divide {BLOCK}")
    asyncio.run(run(args.messages, sizes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
