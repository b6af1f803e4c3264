"""What the retention purge costs with millions of stored messages, and what it does to the relay.

    python bench/bench_purge.py [--messages N] [--json PATH]

Uses the server in DATABASE_URL, or starts the embedded PostgreSQL in .data/bench-postgres;
either way it creates a throwaway database, migrates it, and drops it at the end.

It stores N messages (default 10,000,000) in 100-message chats: 60% of the chats ended two days
ago (due for purge, split in two halves), 30% ended an hour ago (kept), 10% still running (kept;
their users keep relaying throughout), and a few due chats carry an open report (kept).

Then, with the relay statement (`SendMessage`, what every chat message costs) running all the
time at concurrency 4, it measures three phases, in the same run:

  quiet:    no purge (the baseline for the relay's latency);
  one-shot: the first half of the due messages deleted by one DELETE, as the purge did before
            (one transaction holding every deleted row's lock until it ends);
  batched:  `PurgeExpired`, the purge as it runs now: batches of at most 1,000 messages, each its
            own short statement.

It reports the purge's throughput (messages/s), its longest transaction, and the relay's p50/p99
in each phase as ratios against the quiet phase; and checks that every message that had to stay
is still there.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import time
from collections.abc import Sequence
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make `roulette` importable
    sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402

from roulette.domain import MessageContent  # noqa: E402
from roulette.storage.admin import create_database  # noqa: E402
from roulette.storage.admin import database_name  # noqa: E402
from roulette.storage.admin import drop_database  # noqa: E402
from roulette.storage.admin import with_database  # noqa: E402
from roulette.storage.embedded import start_embedded_postgres  # noqa: E402
from roulette.storage.migrations import apply_migrations  # noqa: E402
from roulette.storage.pool import create_pool  # noqa: E402
from roulette.storage.uow import Database  # noqa: E402
from roulette.usecases import FloodPolicy  # noqa: E402
from roulette.usecases import PurgeExpired  # noqa: E402
from roulette.usecases import SendMessage  # noqa: E402

DEFAULT_JSON = ROOT / "bench" / "results" / "purge.json"
MESSAGES_PER_CHAT = 100
RELAY_CONCURRENCY = 4
SEED_CHATS_PER_STATEMENT = 5_000
REPORTED_CHATS = 10


def server_url() -> tuple[str, str]:
    url = os.environ.get("DATABASE_URL")
    if url:
        return with_database(url, "postgres"), "DATABASE_URL"
    return with_database(start_embedded_postgres(ROOT / ".data" / "bench-postgres"), "postgres"), "embedded"


async def seed(pool: asyncpg.Pool[Any], chats: int) -> dict[str, int]:
    """Users, chats and messages, in statements of a few thousand chats each."""
    due, recent = int(chats * 0.6), int(chats * 0.3)
    async with pool.acquire() as connection:
        await connection.execute(
            "INSERT INTO users (id, gender, age) SELECT g, 'female', 30 FROM generate_series(1, $1) AS g", 2 * chats
        )
        # chat i is between users 2i-1 and 2i; the first `due` ended two days ago, the next
        # `recent` an hour ago, the rest are still running
        await connection.execute(
            """
            INSERT INTO chats (user_a, user_b, started_at, ended_at, end_reason)
            SELECT 2 * g - 1, 2 * g, now() - interval '3 days',
                   CASE WHEN g <= $2 THEN now() - interval '2 days'
                        WHEN g <= $2 + $3 THEN now() - interval '1 hour' END,
                   CASE WHEN g <= $2 + $3 THEN 'stop' END
            FROM generate_series(1, $1) AS g
            ORDER BY g
            """,
            chats,
            due,
            recent,
        )
        await connection.execute(
            """
            INSERT INTO chat_participants (chat_id, user_id, active)
            SELECT c.id, side, c.ended_at IS NULL FROM chats c, unnest(ARRAY[c.user_a, c.user_b]) AS side
            """
        )
        first_chat = await connection.fetchval("SELECT min(id) FROM chats")
        for start in range(0, chats, SEED_CHATS_PER_STATEMENT):
            await connection.execute(
                """
                INSERT INTO messages (chat_id, sender_id, kind, text, source_message_id, relayed_message_id,
                                      created_at)
                SELECT c.id, CASE WHEN n % 2 = 0 THEN c.user_a ELSE c.user_b END, 'text', 'message number ' || n,
                       n, n, c.started_at + n * interval '1 second'
                FROM chats c, generate_series(1, $3) AS n
                WHERE c.id >= $1 AND c.id < $2
                """,
                first_chat + start,
                first_chat + start + SEED_CHATS_PER_STATEMENT,
                MESSAGES_PER_CHAT,
            )
            print(f"  seeded {min(start + SEED_CHATS_PER_STATEMENT, chats) * MESSAGES_PER_CHAT:,} messages", flush=True)
        # a few due chats are under review: their messages must survive every purge
        await connection.execute(
            """
            INSERT INTO reports (chat_id, reporter_id, reported_id, reason)
            SELECT id, user_a, user_b, 'abuse' FROM chats ORDER BY id LIMIT $1
            """,
            REPORTED_CHATS,
        )
        await connection.execute("VACUUM ANALYZE")
    return {"chats": chats, "due_chats": due, "recent_chats": recent, "active_chats": chats - due - recent}


class Relay:
    """Users of the running chats send messages all the time; each call's latency is recorded."""

    def __init__(self, db: Database, senders: list[int]) -> None:
        # no flood guard: a few senders relay far faster than any person
        self._send = SendMessage(db, FloodPolicy(max_messages=10**6))
        self._senders = senders
        self._next_source = 1_000_000
        self.latencies: list[float] = []
        self._stop = asyncio.Event()

    async def _worker(self, offset: int) -> None:
        index = offset
        while not self._stop.is_set():
            sender = self._senders[index % len(self._senders)]
            index += RELAY_CONCURRENCY
            self._next_source += 1
            started = time.perf_counter()
            await self._send(sender, self._next_source, MessageContent.text_message("hello"))
            self.latencies.append(time.perf_counter() - started)

    async def during(self, phase: Any) -> tuple[Any, list[float]]:
        """Run `phase` while relaying; its result and the relay latencies meanwhile."""
        self.latencies = []
        self._stop.clear()
        workers = [asyncio.create_task(self._worker(offset)) for offset in range(RELAY_CONCURRENCY)]
        try:
            result = await phase()
        finally:
            self._stop.set()
            await asyncio.gather(*workers)
        return result, self.latencies


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def relay_figures(latencies: list[float], seconds: float) -> dict[str, float]:
    return {
        "relayed": len(latencies),
        "relayed_per_s": round(len(latencies) / seconds, 1) if seconds else 0.0,
        "p50_ms": round(percentile(latencies, 0.5) * 1000, 2),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
        "max_ms": round(max(latencies, default=0.0) * 1000, 2),
    }


async def run(messages: int) -> dict[str, Any]:
    server, source = server_url()
    name = f"anochat_bench_purge_{os.getpid()}"
    database_url = await create_database(server, name)
    try:
        await asyncio.to_thread(apply_migrations, database_url)
        pool = await create_pool(database_url, min_size=2, max_size=RELAY_CONCURRENCY + 2)
        try:
            chats = max(20, messages // MESSAGES_PER_CHAT)
            started = time.perf_counter()
            shape = await seed(pool, chats)
            seed_seconds = time.perf_counter() - started
            async with pool.acquire() as connection:
                senders = [
                    row["user_a"] for row in await connection.fetch("SELECT user_a FROM chats WHERE ended_at IS NULL")
                ]
                stored_before = await connection.fetchval("SELECT count(*) FROM messages")
                half = shape["due_chats"] // 2
                split_chat = await connection.fetchval("SELECT id FROM chats ORDER BY id OFFSET $1 LIMIT 1", half)
            db = Database(pool)
            relay = Relay(db, senders)

            async def quiet() -> float:
                await asyncio.sleep(10)
                return 10.0

            quiet_seconds, quiet_latencies = await relay.during(quiet)

            async def one_shot() -> tuple[int, float]:
                # the purge as it was: one statement, one transaction, every row locked till the end
                started = time.perf_counter()
                # a connection of its own, without the pool's statement timeout: the DELETE runs as
                # long as it takes, which is what is measured
                connection = await asyncpg.connect(database_url)
                try:
                    status = await connection.execute(
                        "DELETE FROM messages WHERE chat_id < $1 AND chat_id > $2", split_chat, REPORTED_CHATS
                    )
                finally:
                    await connection.close()
                return int(status.split()[-1]), time.perf_counter() - started

            (one_shot_deleted, one_shot_seconds), one_shot_latencies = await relay.during(one_shot)

            purge = PurgeExpired(db)

            async def batched() -> tuple[Any, float]:
                started = time.perf_counter()
                outcome = await purge()
                return outcome, time.perf_counter() - started

            (outcome, batched_seconds), batched_latencies = await relay.during(batched)
            async with pool.acquire() as connection:
                stored_after = await connection.fetchval("SELECT count(*) FROM messages")
                kept_reported = await connection.fetchval(
                    "SELECT count(*) FROM messages m JOIN reports r ON r.chat_id = m.chat_id"
                )
                left_due = await connection.fetchval(
                    """SELECT count(*) FROM messages m JOIN chats c ON c.id = m.chat_id
                       WHERE c.ended_at < now() - interval '1 day'
                         AND NOT EXISTS (SELECT 1 FROM reports r WHERE r.chat_id = c.id)"""
                )
        finally:
            await pool.close()
    finally:
        await drop_database(server, database_name(database_url))
    quiet_relay = relay_figures(quiet_latencies, quiet_seconds)
    one_shot_relay = relay_figures(one_shot_latencies, one_shot_seconds)
    batched_relay = relay_figures(batched_latencies, batched_seconds)
    expected_kept = (
        REPORTED_CHATS * MESSAGES_PER_CHAT + (shape["recent_chats"] + shape["active_chats"]) * MESSAGES_PER_CHAT
    )
    return {
        "benchmark": "purge",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "server_source": source,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "system": platform.platform()},
        "stored_messages": stored_before,
        "seed_seconds": round(seed_seconds, 1),
        **shape,
        "one_shot": {
            "deleted": one_shot_deleted,
            "seconds": round(one_shot_seconds, 2),
            "messages_per_s": round(one_shot_deleted / one_shot_seconds) if one_shot_seconds else 0,
            "longest_transaction_s": round(one_shot_seconds, 2),
            "relay": one_shot_relay,
        },
        "batched": {
            "deleted": outcome.messages,
            "chats_deleted": outcome.chats,
            "batches": outcome.batches,
            "seconds": round(batched_seconds, 2),
            "messages_per_s": round(outcome.messages / batched_seconds) if batched_seconds else 0,
            "longest_transaction_s": round(outcome.longest_batch_seconds, 3),
            "relay": batched_relay,
        },
        "quiet": {"relay": quiet_relay},
        "ratios": {
            "relay_p99_one_shot_vs_quiet": round(one_shot_relay["p99_ms"] / quiet_relay["p99_ms"], 2),
            "relay_p99_batched_vs_quiet": round(batched_relay["p99_ms"] / quiet_relay["p99_ms"], 2),
            "relay_throughput_batched_vs_quiet": round(
                batched_relay["relayed_per_s"] / quiet_relay["relayed_per_s"], 2
            ),
            "longest_transaction_batched_vs_one_shot": round(outcome.longest_batch_seconds / one_shot_seconds, 4),
            "purge_throughput_batched_vs_one_shot": round(
                (outcome.messages / batched_seconds) / (one_shot_deleted / one_shot_seconds), 2
            ),
        },
        "ok": left_due == 0 and kept_reported >= REPORTED_CHATS * MESSAGES_PER_CHAT and stored_after >= expected_kept,
    }


def print_report(report: dict[str, Any]) -> None:
    print(
        f"purge with {report['stored_messages']:,} stored messages ({report['chats']:,} chats;"
        f" seeded in {report['seed_seconds']} s), {report['machine']['cpus']} CPUs"
    )
    header = ("phase", "deleted", "seconds", "msg/s", "longest tx s", "relay/s", "p50 ms", "p99 ms")
    print("  ".join(f"{column:>12}" for column in header))
    for phase in ("quiet", "one_shot", "batched"):
        figures = report[phase]
        relay = figures["relay"]
        row = (
            phase,
            f"{figures.get('deleted', 0):,}",
            figures.get("seconds", 10.0),
            f"{figures.get('messages_per_s', 0):,}",
            figures.get("longest_transaction_s", 0),
            relay["relayed_per_s"],
            relay["p50_ms"],
            relay["p99_ms"],
        )
        print("  ".join(f"{value:>12}" for value in row))
    for name, value in report["ratios"].items():
        print(f"  {name}: {value}")
    print("every message that had to stay is there" if report["ok"] else "MESSAGES LOST OR LEFT BEHIND")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=10_000_000, help="messages stored (default 10,000,000)")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help=f"where to write results ({DEFAULT_JSON})")
    args = parser.parse_args(argv)
    if args.messages < 2_000:
        parser.error("--messages must be at least 2,000")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    report = asyncio.run(run(args.messages))
    print_report(report)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
