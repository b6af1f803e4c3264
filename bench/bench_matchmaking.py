"""How fast users are paired, and proof that the speed costs no correctness.

    python bench/bench_matchmaking.py [--users N] [--rounds R] [--json PATH]

Uses the server in DATABASE_URL, or starts the embedded PostgreSQL in .data/bench-postgres;
either way it creates a throwaway database, migrates it, and drops it at the end. It creates
N users with complete profiles and a realistic mix of wishes, then, for each concurrency level,
lets every user search once per round (the queue and chats are reset between rounds):

  concurrency 1: one worker over a pool of one connection, searches one after the other;
  concurrency 8: eight asyncio workers over a pool of eight connections.

It reports searches/s, pairings/s and the p50/p99 latency of StartSearch, and after every round
checks for lost matches (two compatible users both left waiting) and double matches (a user in
two chats, a chat with oneself, a chat nobody was told about, or a chat that breaks someone's
wishes), and runs the schema's invariant checks (sql/check_invariants.sql). The exit status
is 1 if anything was found.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from itertools import combinations
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make `roulette` importable
    sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402

from roulette.domain import (  # noqa: E402
    INTEREST_CATALOG,
    Gender,
    Interests,
    InterestsMode,
    PartnerGender,
    Profile,
    SearchPreferences,
    User,
    can_pair,
)
from roulette.invariants import find_violations  # noqa: E402
from roulette.storage.admin import create_database, database_name, drop_database, with_database  # noqa: E402
from roulette.storage.embedded import start_embedded_postgres  # noqa: E402
from roulette.storage.migrations import apply_migrations  # noqa: E402
from roulette.storage.pool import create_pool  # noqa: E402
from roulette.storage.repositories import user_from_record  # noqa: E402
from roulette.storage.uow import Database  # noqa: E402
from roulette.usecases.search import Paired, SearchResult, StartSearch  # noqa: E402
from tests.support.seeding import add_users  # noqa: E402

CONCURRENCY_LEVELS = (1, 8)
DEFAULT_JSON = ROOT / "bench" / "results" / "matchmaking.json"


# --- users -------------------------------------------------------------------------------


def random_user(rng: random.Random, user_id: int) -> User:
    """Most users are easy-going; some want one gender, a narrow age range or a shared interest."""
    age = rng.randint(13, 17) if rng.random() < 0.15 else rng.randint(18, 55)
    picky = rng.random() < 0.3
    if picky:
        age_min, age_max = max(13, age - rng.randint(0, 5)), min(99, age + rng.randint(0, 8))
        wants = rng.choice(list(PartnerGender))
        mode = rng.choice(list(InterestsMode))
    else:
        age_min, age_max, wants, mode = 13, 99, PartnerGender.ANY, InterestsMode.PREFER
    return User(
        user_id,
        profile=Profile(rng.choice(list(Gender)), age, Interests.of(rng.sample(INTEREST_CATALOG, rng.randint(0, 4)))),
        preferences=SearchPreferences(wants, age_min, age_max, mode),
    )


async def reset_matchmaking(pool: asyncpg.Pool[Any]) -> None:
    """Empty the queue and end every chat, so each round starts from nobody searching."""
    async with pool.acquire() as connection, connection.transaction():
        await connection.execute("DELETE FROM search_queue")
        await connection.execute("UPDATE chat_participants SET active = FALSE WHERE active")
        await connection.execute("UPDATE chats SET ended_at = now(), end_reason = 'stop' WHERE ended_at IS NULL")


# --- correctness -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Check:
    lost_matches: int  # pairs of compatible users both left waiting
    double_matches: int  # users in two active chats, chats with oneself, chats nobody was told about
    bad_pairs: int  # chats that break a user's wishes
    violations: int  # rows breaking any rule of sql/check_invariants.sql
    waiting: int
    chats: int


async def check_guarantees(pool: asyncpg.Pool[Any], announced_chats: int) -> Check:
    users = {record["id"]: user_from_record(record) for record in await pool.fetch("SELECT * FROM users")}
    blocked = {frozenset(row) for row in await pool.fetch("SELECT blocker_id, blocked_id FROM blocks")}
    sides = await pool.fetch("SELECT chat_id, user_id FROM chat_participants WHERE active")
    chats = await pool.fetch("SELECT id, user_a, user_b FROM chats WHERE ended_at IS NULL")
    waiting = [row["user_id"] for row in await pool.fetch("SELECT user_id FROM search_queue")]

    in_chat = Counter(row["user_id"] for row in sides)
    double = sum(count - 1 for count in in_chat.values() if count > 1)
    double += sum(1 for chat in chats if chat["user_a"] == chat["user_b"])
    double += len(set(in_chat) & set(waiting))
    double += abs(len(chats) - announced_chats)
    bad = sum(
        1
        for chat in chats
        if not can_pair(
            users[chat["user_a"]],
            users[chat["user_b"]],
            blocked=frozenset((chat["user_a"], chat["user_b"])) in blocked,
        )
    )
    lost = sum(
        1 for a, b in combinations(waiting, 2) if can_pair(users[a], users[b], blocked=frozenset((a, b)) in blocked)
    )
    violations = sum(violation.rows for violation in await find_violations(pool))
    return Check(lost, double, bad, violations, len(waiting), len(chats))


# --- measuring ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LevelResult:
    concurrency: int
    rounds: int
    searches: int
    pairings: int
    seconds: float
    searches_per_s: float
    pairings_per_s: float
    p50_ms: float
    p99_ms: float
    lost_matches: int
    double_matches: int
    bad_pairs: int
    invariant_violations: int
    left_waiting_per_round: float


async def one_round(database_url: str, user_ids: Sequence[int], concurrency: int) -> tuple[float, list[float], int]:
    """Every user searches once; (wall seconds, latencies in seconds, pairings)."""
    pool = await create_pool(database_url, min_size=concurrency, max_size=concurrency)
    try:
        start_search = StartSearch(Database(pool))
        pending = iter(user_ids)
        latencies: list[float] = []
        results: list[SearchResult] = []

        async def worker() -> None:
            for user_id in pending:
                started = time.perf_counter()
                results.append(await start_search(user_id))
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    finally:
        await pool.close()
    return elapsed, latencies, sum(isinstance(result, Paired) for result in results)


def percentile(values: Sequence[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


async def measure(database_url: str, users: Sequence[User], rounds: int, seed: int) -> list[LevelResult]:
    pool = await create_pool(database_url, min_size=1, max_size=2)
    rng = random.Random(seed)
    results = []
    try:
        for concurrency in CONCURRENCY_LEVELS:
            seconds, pairings, lost, double, bad, violations, waiting = 0.0, 0, 0, 0, 0, 0, 0
            latencies: list[float] = []
            for _ in range(rounds):
                await reset_matchmaking(pool)
                user_ids = [user.id for user in users]
                rng.shuffle(user_ids)
                elapsed, round_latencies, round_pairings = await one_round(database_url, user_ids, concurrency)
                check = await check_guarantees(pool, round_pairings)
                seconds += elapsed
                latencies += round_latencies
                pairings += round_pairings
                lost += check.lost_matches
                double += check.double_matches
                bad += check.bad_pairs
                violations += check.violations
                waiting += check.waiting
            searches = len(users) * rounds
            results.append(
                LevelResult(
                    concurrency=concurrency,
                    rounds=rounds,
                    searches=searches,
                    pairings=pairings,
                    seconds=round(seconds, 3),
                    searches_per_s=round(searches / seconds, 1),
                    pairings_per_s=round(pairings / seconds, 1),
                    p50_ms=round(percentile(latencies, 50) * 1000, 3),
                    p99_ms=round(percentile(latencies, 99) * 1000, 3),
                    lost_matches=lost,
                    double_matches=double,
                    bad_pairs=bad,
                    invariant_violations=violations,
                    left_waiting_per_round=round(waiting / rounds, 1),
                )
            )
    finally:
        await pool.close()
    return results


# --- the server --------------------------------------------------------------------------


def server_url() -> tuple[str, str]:
    """(URL of the server's `postgres` database, where it came from)."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return with_database(url, "postgres"), "DATABASE_URL"
    return with_database(start_embedded_postgres(ROOT / ".data" / "bench-postgres"), "postgres"), "embedded"


async def server_settings(url: str) -> dict[str, str]:
    connection = await asyncpg.connect(url)
    try:
        return {
            name: await connection.fetchval(f"SHOW {name}")
            for name in ("server_version", "fsync", "synchronous_commit", "max_connections")
        }
    finally:
        await connection.close()


async def run(users_count: int, rounds: int, seed: int) -> dict[str, Any]:
    server, source = server_url()
    name = f"anochat_bench_{os.getpid()}"
    database_url = await create_database(server, name)
    try:
        await asyncio.to_thread(apply_migrations, database_url)
        rng = random.Random(seed)
        users = [random_user(rng, user_id) for user_id in range(1, users_count + 1)]
        setup = await create_pool(database_url, min_size=1, max_size=1)
        try:
            await add_users(setup, users)
        finally:
            await setup.close()
        levels = await measure(database_url, users, rounds, seed)
        settings = await server_settings(server)
    finally:
        await drop_database(server, database_name(database_url))
    return {
        "benchmark": "matchmaking",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "users": users_count,
        "rounds": rounds,
        "seed": seed,
        "server": {"source": source, **settings},
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "system": platform.platform()},
        "levels": [asdict(level) for level in levels],
        "ok": all(
            level.lost_matches == level.double_matches == level.bad_pairs == level.invariant_violations == 0
            for level in levels
        ),
    }


def print_table(report: dict[str, Any]) -> None:
    server = report["server"]
    print(
        f"StartSearch, {report['users']} users x {report['rounds']} rounds, PostgreSQL {server['server_version']}"
        f" ({server['source']}, fsync={server['fsync']}, synchronous_commit={server['synchronous_commit']}),"
        f" {report['machine']['cpus']} CPUs"
    )
    header = ("concurrency", "searches/s", "pairings/s", "p50 ms", "p99 ms", "lost", "double", "bad", "violations")
    print("  ".join(f"{column:>11}" for column in header))
    for level in report["levels"]:
        row = (
            level["concurrency"],
            level["searches_per_s"],
            level["pairings_per_s"],
            level["p50_ms"],
            level["p99_ms"],
            level["lost_matches"],
            level["double_matches"],
            level["bad_pairs"],
            level["invariant_violations"],
        )
        print("  ".join(f"{value:>11}" for value in row))
    print("no lost or double matches" if report["ok"] else "LOST OR DOUBLE MATCHES FOUND")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=1000, help="users who search in every round (default 1000)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per concurrency level (default 3)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the users' random wishes")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help=f"where to write results ({DEFAULT_JSON})")
    args = parser.parse_args(argv)
    if args.users < 2 or args.rounds < 1:
        parser.error("--users must be at least 2 and --rounds at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    report = asyncio.run(run(args.users, args.rounds, args.seed))
    print_table(report)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"written to {args.json}")
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
