"""What a search costs as the queue grows, and proof that the speed costs no correctness.

    python bench/bench_matchmaking.py [--sizes 0,1000,10000,50000,100000] [--searches S] [--json PATH]
    python bench/plot.py bench/results/matchmaking.json docs/matchmaking.png

Uses the server in DATABASE_URL, or starts the embedded PostgreSQL in .data/bench-postgres;
either way it creates a throwaway database, migrates it, and drops it at the end. It seeds two
standing queues of up to 100,000 users each (in SQL, with generate_series):

  lopsided: adult men who want only women, English, with their own age ranges and interests
            (what a chat roulette's queue mostly is);
  mixed:    every pool: adults and minors, English and Russian, one in ten accepting any
            language; men who want women, and men and women who want their own gender but
            require a shared interest they lack (nobody can pair them).

Nobody in a standing queue can be paired with anybody else in it, as in a real queue at rest.
For each queue and each size it fills the queue with that many of them (the longest-waiting
first), then measures, on one connection:

  finds nobody: a man who wants women searches (and cancels, untimed);
  pairs:        a woman searches and is paired with a waiting man (the chat is ended and he
                searches again, untimed, so the queue keeps its size);

each timed inside the server (bench_timed_search, created in the throwaway database: on a shared
box the client's own scheduling adds milliseconds of noise to a sub-millisecond call, and the
queue's size can only change the server's part); and then `--crowd` fresh users with a mix of
wishes search through the use case at concurrency 8 against the standing queue (searches/s,
pairings/s, p50/p99 as the client sees them). After every round it checks for lost matches
(two compatible users both left waiting), double matches (a user in two chats, a chat with
oneself, a chat nobody was told about) and chats that break someone's wishes, and runs the
schema's invariant checks (sql/check_invariants.sql). Every cost is also given as a ratio to
the cost of a search that finds nobody in the empty queue, measured in the same run. The exit
status is 1 if anything was found.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import sys
import time
from collections import Counter
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from itertools import combinations
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make `roulette` importable
    sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402

from bench.relay_load import ms  # noqa: E402
from bench.relay_load import percentile  # noqa: E402
from roulette.domain import INTEREST_CATALOG  # noqa: E402
from roulette.domain import Gender  # noqa: E402
from roulette.domain import Interests  # noqa: E402
from roulette.domain import InterestsMode  # noqa: E402
from roulette.domain import Language  # noqa: E402
from roulette.domain import PartnerGender  # noqa: E402
from roulette.domain import PartnerLanguage  # noqa: E402
from roulette.domain import Profile  # noqa: E402
from roulette.domain import SearchPreferences  # noqa: E402
from roulette.domain import User  # noqa: E402
from roulette.domain import can_pair  # noqa: E402
from roulette.domain import is_adult  # noqa: E402
from roulette.invariants import find_violations  # noqa: E402
from roulette.storage.admin import create_database  # noqa: E402
from roulette.storage.admin import database_name  # noqa: E402
from roulette.storage.admin import drop_database  # noqa: E402
from roulette.storage.admin import with_database  # noqa: E402
from roulette.storage.embedded import start_embedded_postgres  # noqa: E402
from roulette.storage.migrations import apply_migrations  # noqa: E402
from roulette.storage.pool import create_pool  # noqa: E402
from roulette.storage.repositories import user_from_record  # noqa: E402
from roulette.storage.uow import Database  # noqa: E402
from roulette.usecases.search import Paired  # noqa: E402
from roulette.usecases.search import SearchResult  # noqa: E402
from roulette.usecases.search import StartSearch  # noqa: E402
from tests.support.seeding import add_users  # noqa: E402

DEFAULT_SIZES = (0, 1_000, 10_000, 50_000, 100_000)
MIXES = ("lopsided", "mixed")
CONCURRENCY = 8
DEFAULT_JSON = ROOT / "bench" / "results" / "matchmaking.json"
# ids: each standing queue has its own range; the probes and the crowds come after them
STANDING_FIRST_ID = {"lopsided": 1, "mixed": 1_000_001}
PROBE_FIRST_ID = 3_000_001
CROWD_FIRST_ID = 4_000_001


# --- users -------------------------------------------------------------------------------


def random_user(rng: random.Random, user_id: int) -> User:
    """Most users are easy-going; some want one gender, a narrow age range or a shared interest;
    one in five speaks Russian, one in ten accepts any language."""
    age = rng.randint(13, 17) if rng.random() < 0.15 else rng.randint(18, 55)
    picky = rng.random() < 0.3
    if picky:
        age_min, age_max = max(13, age - rng.randint(0, 5)), min(99, age + rng.randint(0, 8))
        wants = rng.choice(list(PartnerGender))
        mode = rng.choice(list(InterestsMode))
    else:
        age_min, age_max, wants, mode = 13, 99, PartnerGender.ANY, InterestsMode.PREFER
    language_wish = PartnerLanguage.ANY if rng.random() < 0.1 else PartnerLanguage.SAME
    return User(
        user_id,
        language=Language.RU if rng.random() < 0.2 else Language.EN,
        profile=Profile(rng.choice(list(Gender)), age, Interests.of(rng.sample(INTEREST_CATALOG, rng.randint(0, 4)))),
        preferences=SearchPreferences(wants, age_min, age_max, mode, language_wish),
    )


# Standing queues, written by the server itself: 100,000 users take a second, not a minute.
# random() is seeded first, so every run seeds the same users.
_SEED_LOPSIDED = """
INSERT INTO users (id, gender, age, interests, language, partner_gender, partner_age_min, partner_age_max,
                   interests_mode, partner_language)
SELECT id, 'male', age, interests, 'en', 'female', greatest(18, age - 3 - floor(random() * 10))::smallint,
       least(99, age + floor(random() * 6))::smallint, mode, 'same'
FROM (
    SELECT id, (18 + floor(random() * 38))::smallint AS age,
           ARRAY(SELECT tag FROM unnest($3::text[]) AS tag WHERE random() < 0.2 + id * 0) AS interests,
           (ARRAY['prefer', 'prefer', 'prefer', 'prefer', 'prefer', 'prefer', 'prefer', 'ignore', 'ignore',
                  'require'])[1 + floor(random() * 10)::int] AS mode
    FROM generate_series($1::bigint, $2::bigint) AS id
) AS drawn
"""
_SEED_MIXED = """
INSERT INTO users (id, gender, age, interests, language, partner_gender, partner_age_min, partner_age_max,
                   interests_mode, partner_language)
SELECT id,
       CASE WHEN kind = 'women for women' THEN 'female' ELSE 'male' END,
       age,
       CASE WHEN kind = 'men for women' THEN interests ELSE '{}' END,
       language,
       CASE WHEN kind = 'men for men' THEN 'male' ELSE 'female' END,
       CASE WHEN age >= 18 THEN greatest(18, age - 8) ELSE 13 END,
       CASE WHEN age >= 18 THEN least(99, age + 5) ELSE 17 END,
       -- those who want their own gender require a shared interest and chose none: they wait
       CASE WHEN kind = 'men for women' THEN mode ELSE 'require' END,
       language_wish
FROM (
    SELECT id,
           CASE WHEN r < 0.8 THEN 'men for women' WHEN r < 0.9 THEN 'men for men' ELSE 'women for women' END AS kind,
           CASE WHEN random() < 0.15 THEN 13 + floor(random() * 5) ELSE 18 + floor(random() * 43) END::smallint AS age,
           CASE WHEN random() < 0.3 THEN 'ru' ELSE 'en' END AS language,
           CASE WHEN random() < 0.1 THEN 'any' ELSE 'same' END AS language_wish,
           ARRAY(SELECT tag FROM unnest($3::text[]) AS tag WHERE random() < 0.2 + id * 0) AS interests,
           (ARRAY['prefer', 'prefer', 'prefer', 'prefer', 'prefer', 'prefer', 'prefer', 'ignore', 'ignore',
                  'require'])[1 + floor(random() * 10)::int] AS mode
    FROM (SELECT id, random() AS r FROM generate_series($1::bigint, $2::bigint) AS id) AS ids
) AS drawn
"""
# The first `size` users of a standing queue wait, the lowest ids the longest.
_FILL_QUEUE = """
INSERT INTO search_queue (user_id, gender, age, interests, language, partner_gender, partner_age_min,
                          partner_age_max, interests_mode, partner_language, enqueued_at)
SELECT id, gender, age, interests, language, partner_gender, partner_age_min, partner_age_max, interests_mode,
       partner_language, clock_timestamp() - interval '1 hour' + (id - $1) * interval '1 millisecond'
FROM users WHERE id >= $1 AND id < $1 + $2
"""


# A search timed inside the server: on a shared 2-CPU box the client's own scheduling adds
# milliseconds of noise to a sub-millisecond call, and the queue's size can only change the
# server's part. Created in the benchmark's throwaway databases only.
_TIMED_SEARCH_FUNCTION = """
CREATE FUNCTION bench_timed_search(searcher BIGINT)
RETURNS TABLE (server_ms DOUBLE PRECISION, chat_id BIGINT, partner_id BIGINT, queued BOOLEAN)
LANGUAGE plpgsql AS $function$
DECLARE
    started TIMESTAMPTZ := clock_timestamp();
    found_chat BIGINT;
    found_partner BIGINT;
    was_queued BOOLEAN;
    returned RECORD;
BEGIN
    FOR returned IN SELECT * FROM start_search(searcher, NULL) LOOP
        IF returned.role = 'me' THEN
            found_chat := returned.chat_id;
            was_queued := returned.queued;
        ELSE
            found_partner := returned.id;
        END IF;
    END LOOP;
    RETURN QUERY SELECT (extract(epoch FROM clock_timestamp() - started) * 1000)::float8, found_chat, found_partner,
        was_queued;
END
$function$
"""
_TIMED_SEARCH = "SELECT * FROM bench_timed_search($1)"


async def seed_standing_queues(pool: asyncpg.Pool[Any], largest: int) -> None:
    async with pool.acquire() as connection:
        await connection.execute("SELECT setseed(0.2026)")
        for mix, seed_sql in (("lopsided", _SEED_LOPSIDED), ("mixed", _SEED_MIXED)):
            first = STANDING_FIRST_ID[mix]
            await connection.execute(seed_sql, first, first + largest - 1, list(INTEREST_CATALOG))
        await connection.execute("ANALYZE")
        await connection.execute(_TIMED_SEARCH_FUNCTION)


def probes(rng: random.Random, mix: str, count: int) -> tuple[list[User], list[User]]:
    """(men who want women and find nobody, women who find a waiting man) for a standing queue."""
    lopsided = mix == "lopsided"

    def person(user_id: int, gender: Gender, wants: PartnerGender) -> User:
        adult = lopsided or rng.random() >= 0.15
        age = rng.randint(20, 45) if adult else rng.randint(13, 17)
        low, high = (max(18, age - 10), min(99, age + 10)) if adult else (13, 17)
        return User(
            user_id,
            language=Language.EN if lopsided or rng.random() < 0.7 else Language.RU,
            profile=Profile(gender, age, Interests.of(rng.sample(INTEREST_CATALOG, rng.randint(0, 4)))),
            preferences=SearchPreferences(
                wants, low, high, InterestsMode.PREFER if rng.random() < 0.8 else InterestsMode.IGNORE
            ),
        )

    first = PROBE_FIRST_ID + (0 if lopsided else 100_000)
    men = [person(first + n, Gender.MALE, PartnerGender.FEMALE) for n in range(count)]
    women = [
        person(first + count + n, Gender.FEMALE, rng.choice([PartnerGender.MALE, PartnerGender.ANY]))
        for n in range(count)
    ]
    return men, women


async def reset_matchmaking(pool: asyncpg.Pool[Any]) -> None:
    """Empty the queue and end every chat, so each round starts from nobody searching."""
    async with pool.acquire() as connection, connection.transaction():
        await connection.execute("DELETE FROM search_queue")
        await connection.execute("UPDATE chat_participants SET active = FALSE WHERE active")
        await connection.execute("UPDATE chats SET ended_at = now(), end_reason = 'stop' WHERE ended_at IS NULL")


async def end_chat(pool: asyncpg.Pool[Any], chat_id: int) -> None:
    async with pool.acquire() as connection, connection.transaction():
        await connection.execute("UPDATE chat_participants SET active = FALSE WHERE chat_id = $1", chat_id)
        await connection.execute("UPDATE chats SET ended_at = now(), end_reason = 'stop' WHERE id = $1", chat_id)


# --- correctness -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Check:
    lost_matches: int  # pairs of compatible users both left waiting
    double_matches: int  # users in two active chats, chats with oneself, chats nobody was told about
    bad_pairs: int  # chats that break a user's wishes
    violations: int  # rows breaking any rule of sql/check_invariants.sql
    waiting: int
    chats: int


def _never_pairs(user: User) -> bool:
    """Requires a shared interest and has none: pairing_obstacle refuses every partner."""
    return user.preferences.interests_mode is InterestsMode.REQUIRE and not user.profile.interests.tags


def _may_meet(a: tuple[bool, str, str, str, str], b: tuple[bool, str, str, str, str]) -> bool:
    """Could anybody of key group `a` be paired with anybody of `b` (class, genders, languages)?"""
    adult_a, gender_a, wants_a, language_a, language_wish_a = a
    adult_b, gender_b, wants_b, language_b, language_wish_b = b
    return (
        adult_a == adult_b
        and wants_a in ("any", gender_b)
        and wants_b in ("any", gender_a)
        and (language_a == language_b or language_wish_a == language_wish_b == "any")
    )


def lost_matches(waiting: Sequence[User], blocked: set[frozenset[int]]) -> int:
    """Pairs of waiting users that can_pair allows; only groups that may meet are compared, so
    100,000 waiting men who want women cost nothing among themselves."""
    groups: dict[tuple[bool, str, str, str, str], list[User]] = defaultdict(list)
    for user in waiting:
        if _never_pairs(user):
            continue
        assert user.profile.age is not None and user.profile.gender is not None
        key = (
            is_adult(user.profile.age),
            user.profile.gender.value,
            user.preferences.partner_gender.value,
            user.language.value,
            user.preferences.partner_language.value,
        )
        groups[key].append(user)
    lost = 0
    keys = sorted(groups)
    for index, a in enumerate(keys):
        for b in keys[index:]:
            if not _may_meet(a, b):
                continue
            pairs = combinations(groups[a], 2) if a == b else ((x, y) for x in groups[a] for y in groups[b])
            lost += sum(1 for x, y in pairs if can_pair(x, y, blocked=frozenset((x.id, y.id)) in blocked))
    return lost


async def check_guarantees(pool: asyncpg.Pool[Any], announced_chats: int) -> Check:
    waiting = [
        user_from_record(record)
        for record in await pool.fetch("SELECT u.* FROM users u JOIN search_queue q ON q.user_id = u.id")
    ]
    users = {
        record["id"]: user_from_record(record)
        for record in await pool.fetch(
            "SELECT u.* FROM users u JOIN chat_participants p ON p.user_id = u.id AND p.active"
        )
    }
    blocked = {frozenset(row) for row in await pool.fetch("SELECT blocker_id, blocked_id FROM blocks")}
    sides = await pool.fetch("SELECT chat_id, user_id FROM chat_participants WHERE active")
    chats = await pool.fetch("SELECT id, user_a, user_b FROM chats WHERE ended_at IS NULL")

    in_chat = Counter(row["user_id"] for row in sides)
    double = sum(count - 1 for count in in_chat.values() if count > 1)
    double += sum(1 for chat in chats if chat["user_a"] == chat["user_b"])
    double += len(set(in_chat) & {user.id for user in waiting})
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
    violations = sum(violation.rows for violation in await find_violations(pool))
    return Check(lost_matches(waiting, blocked), double, bad, violations, len(waiting), len(chats))


# --- measuring ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SizeResult:
    mix: str
    waiting: int
    # p50/p99 of one search in the server (bench_timed_search)
    empty_p50_ms: float  # the baseline: the same searches in an empty queue, interleaved with these
    nobody_p50_ms: float  # a search that finds nobody
    nobody_p99_ms: float
    pairs_p50_ms: float  # a search that pairs (nan with nobody waiting)
    pairs_p99_ms: float
    pairs_measured: int
    # fresh users searching through the use case, at concurrency 8, against the standing queue;
    # latencies as the client sees them
    crowd_searches: int
    crowd_searches_per_s: float
    crowd_pairings_per_s: float
    crowd_p50_ms: float
    crowd_p99_ms: float
    lost_matches: int
    double_matches: int
    bad_pairs: int
    invariant_violations: int

    @property
    def nobody_ratio(self) -> float:
        return round(self.nobody_p50_ms / self.empty_p50_ms, 2)

    @property
    def pairs_ratio(self) -> float:
        return round(self.pairs_p50_ms / self.empty_p50_ms, 2)


async def timed_search(start_search: StartSearch, user_id: int) -> tuple[float, SearchResult]:
    started = time.perf_counter()
    result = await start_search(user_id)
    return time.perf_counter() - started, result


def add_check(total: Counter[str], check: Check) -> None:
    total["lost"] += check.lost_matches
    total["double"] += check.double_matches
    total["bad"] += check.bad_pairs
    total["violations"] += check.violations


class Baseline:
    """The same searcher, searching in a database with the same users and an empty queue, right
    after each measured search: the machine's load, which moves by the second on a shared box,
    weighs on both alike, so their ratio is what the queue's size costs."""

    def __init__(self, pool: asyncpg.Pool[Any]) -> None:
        self._pool = pool
        self.latencies: list[float] = []

    async def analyze(self) -> None:
        await self._pool.execute("VACUUM ANALYZE")

    async def search(self, user_id: int) -> None:
        timed = await self._pool.fetchrow(_TIMED_SEARCH, user_id)
        assert timed is not None and timed["queued"], timed
        self.latencies.append(timed["server_ms"] / 1000)
        await self._pool.execute("DELETE FROM search_queue WHERE user_id = $1", user_id)


async def measure_size(
    database_url: str,
    pool: asyncpg.Pool[Any],
    baseline: Baseline,
    mix: str,
    size: int,
    searches: int,
    crowd: Sequence[User],
) -> SizeResult:
    await reset_matchmaking(pool)
    await pool.execute(_FILL_QUEUE, STANDING_FIRST_ID[mix], size)
    # fresh statistics for both, as autovacuum would keep them on a server that runs for long
    await pool.execute("VACUUM ANALYZE")
    await baseline.analyze()
    men, women = probes(random.Random(f"{mix}:0"), mix, searches)
    totals: Counter[str] = Counter()
    one = await create_pool(database_url, min_size=1, max_size=1)
    try:
        # warm up the connections' plans, untimed
        for man in men[:5]:
            await one.fetchrow(_TIMED_SEARCH, man.id)
            await pool.execute("DELETE FROM search_queue WHERE user_id = $1", man.id)
            await baseline.search(man.id)
        baseline.latencies.clear()
        nobody: list[float] = []
        for man in men:
            timed = await one.fetchrow(_TIMED_SEARCH, man.id)
            await baseline.search(man.id)
            assert timed is not None
            if timed["queued"]:
                nobody.append(timed["server_ms"] / 1000)
                await pool.execute("DELETE FROM search_queue WHERE user_id = $1", man.id)
            else:  # not in these queues; would count as a double match below if it were
                await end_chat(pool, timed["chat_id"])
        add_check(totals, await check_guarantees(pool, 0))
        paired: list[float] = []
        for woman in women:
            timed = await one.fetchrow(_TIMED_SEARCH, woman.id)
            await baseline.search(woman.id)
            assert timed is not None
            if timed["chat_id"] is not None:
                paired.append(timed["server_ms"] / 1000)
                # he goes back to the queue by searching again, so the queue keeps its size
                await end_chat(pool, timed["chat_id"])
                await one.fetchrow(_TIMED_SEARCH, timed["partner_id"])
            else:
                await pool.execute("DELETE FROM search_queue WHERE user_id = $1", woman.id)
        add_check(totals, await check_guarantees(pool, 0))
    finally:
        await one.close()

    await add_users(pool, crowd)
    wide = await create_pool(database_url, min_size=CONCURRENCY, max_size=CONCURRENCY)
    try:
        start_search = StartSearch(Database(wide))
        pending = iter(user.id for user in crowd)
        latencies: list[float] = []
        outcomes: list[SearchResult] = []

        async def worker() -> None:
            for user_id in pending:
                seconds, result = await timed_search(start_search, user_id)
                latencies.append(seconds)
                outcomes.append(result)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        elapsed = time.perf_counter() - started
    finally:
        await wide.close()
    pairings = sum(isinstance(result, Paired) for result in outcomes)
    add_check(totals, await check_guarantees(pool, pairings))
    return SizeResult(
        mix=mix,
        waiting=size,
        empty_p50_ms=ms(percentile(baseline.latencies, 50), 3),
        nobody_p50_ms=ms(percentile(nobody, 50), 3),
        nobody_p99_ms=ms(percentile(nobody, 99), 3),
        pairs_p50_ms=ms(percentile(paired, 50), 3),
        pairs_p99_ms=ms(percentile(paired, 99), 3),
        pairs_measured=len(paired),
        crowd_searches=len(crowd),
        crowd_searches_per_s=round(len(crowd) / elapsed, 1),
        crowd_pairings_per_s=round(pairings / elapsed, 1),
        crowd_p50_ms=ms(percentile(latencies, 50), 3),
        crowd_p99_ms=ms(percentile(latencies, 99), 3),
        lost_matches=totals["lost"],
        double_matches=totals["double"],
        bad_pairs=totals["bad"],
        invariant_violations=totals["violations"],
    )


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


async def run(sizes: Sequence[int], searches: int, crowd_size: int, seed: int) -> dict[str, Any]:
    server, source = server_url()
    name = f"anochat_bench_{os.getpid()}"
    database_url = await create_database(server, name)
    empty_url = await create_database(server, f"{name}_empty")
    results: list[SizeResult] = []
    try:
        for url in (database_url, empty_url):
            await asyncio.to_thread(apply_migrations, url)
        pool = await create_pool(database_url, min_size=1, max_size=2)
        empty = await create_pool(empty_url, min_size=1, max_size=2)
        try:
            started = time.perf_counter()
            await seed_standing_queues(pool, max(sizes))
            seeding_s = round(time.perf_counter() - started, 2)
            # the same users in the baseline's database, so that only its queue differs
            await seed_standing_queues(empty, max(sizes))
            rng = random.Random(seed)
            for mix in MIXES:
                men, women = probes(random.Random(f"{mix}:0"), mix, searches)
                for target in (pool, empty):
                    await add_users(target, [*men, *women])
                for size in sizes:
                    first = CROWD_FIRST_ID + len(results) * crowd_size
                    crowd = [random_user(rng, user_id) for user_id in range(first, first + crowd_size)]
                    baseline = Baseline(empty)
                    results.append(await measure_size(database_url, pool, baseline, mix, size, searches, crowd))
                    print_result(results[-1], results)
        finally:
            await empty.close()
            await pool.close()
        settings = await server_settings(server)
    finally:
        await drop_database(server, database_name(database_url))
        await drop_database(server, database_name(empty_url))
    return {
        "benchmark": "matchmaking",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "sizes": list(sizes),
        "searches": searches,
        "crowd": crowd_size,
        "concurrency": CONCURRENCY,
        "seed": seed,
        "seeding_s": seeding_s,
        "server": {"source": source, **settings},
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "system": platform.platform()},
        "results": [
            {**asdict(result), "nobody_ratio": result.nobody_ratio, "pairs_ratio": result.pairs_ratio}
            for result in results
        ],
        "ok": all(
            result.lost_matches == result.double_matches == result.bad_pairs == result.invariant_violations == 0
            for result in results
        ),
    }


def print_result(result: SizeResult, results: Sequence[SizeResult]) -> None:
    if len(results) == 1 or results[-2].mix != result.mix:
        print(
            f"\n{result.mix} queue; one search in the server, p50/p99 in ms, ratio: p50 against the same"
            " searches in an empty queue; then the crowd at concurrency 8, as the client sees it"
        )
        header = (
            "waiting",
            "empty p50",
            "nobody p50",
            "p99",
            "ratio",
            "pairs p50",
            "p99",
            "ratio",
            "c8 search/s",
            "pairings/s",
            "p50",
            "p99",
            "lost",
            "double",
            "bad",
            "violations",
        )
        print("  ".join(f"{column:>10}" for column in header))
    row = (
        f"{result.waiting:,}",
        result.empty_p50_ms,
        result.nobody_p50_ms,
        result.nobody_p99_ms,
        f"{result.nobody_ratio}x",
        result.pairs_p50_ms,
        result.pairs_p99_ms,
        f"{result.pairs_ratio}x",
        result.crowd_searches_per_s,
        result.crowd_pairings_per_s,
        result.crowd_p50_ms,
        result.crowd_p99_ms,
        result.lost_matches,
        result.double_matches,
        result.bad_pairs,
        result.invariant_violations,
    )
    print("  ".join(f"{value:>10}" for value in row), flush=True)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--sizes",
        type=lambda text: [int(part) for part in text.split(",")],
        default=list(DEFAULT_SIZES),
        help="waiting users in the standing queue, comma-separated (default 0,1000,10000,50000,100000)",
    )
    parser.add_argument("--searches", type=int, default=300, help="timed searches of each kind per size (300)")
    parser.add_argument("--crowd", type=int, default=2000, help="fresh users searching at concurrency 8 (2000)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the fresh users' random wishes")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help=f"where to write results ({DEFAULT_JSON})")
    args = parser.parse_args(argv)
    if 0 not in args.sizes or min(args.sizes) < 0 or max(args.sizes) > 1_000_000:
        parser.error("--sizes must include 0 (the baseline) and stay within 0..1,000,000")
    if args.searches < 10 or args.crowd < 2:
        parser.error("--searches must be at least 10 and --crowd at least 2")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    report = asyncio.run(run(sorted(set(args.sizes)), args.searches, args.crowd, args.seed))
    print("\nno lost or double matches" if report["ok"] else "\nLOST OR DOUBLE MATCHES FOUND")
    print(f"seeding {2 * max(args.sizes):,} users took {report['seeding_s']} s")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"written to {args.json}")
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
