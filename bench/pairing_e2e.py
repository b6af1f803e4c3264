"""Pairing end to end: many users press /search at once through the real bot.

Measured from each /search leaving the user to the "Partner found" notices reaching both users
of the chat it created. Afterwards the database must show no lost match (two compatible users
both left waiting) and no double match (a user in two chats, or told of a partner twice).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import defaultdict
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

from bench.bench_matchmaking import Check
from bench.bench_matchmaking import check_guarantees
from bench.bench_matchmaking import random_user
from bench.relay_load import percentile
from roulette.domain import Gender
from roulette.domain import Profile
from roulette.domain import SearchPreferences
from roulette.domain import User
from roulette.invariants import find_violations
from tests.support.seeding import add_users
from tgemulator import BotAPIEmulator
from tgemulator import EmuMessage
from tgemulator import SimUser

# "Partner found" in each language the mixed users speak (English and Russian, from their
# Telegram language): counting only the English one called every Russian chat unannounced.
PAIRED_TEXTS = ("Partner found", "Собеседник найден")
QUIET_SECONDS = 1.0

_END_CHATS_OF = """
WITH ended AS (
    UPDATE chats SET ended_at = now(), end_reason = 'stop'
    WHERE ended_at IS NULL AND (user_a = ANY($1::bigint[]) OR user_b = ANY($1::bigint[]))
    RETURNING id
)
UPDATE chat_participants SET active = FALSE WHERE active AND chat_id IN (SELECT id FROM ended)
"""
_ACTIVE_CHATS_OF = """
SELECT id, user_a, user_b FROM chats
WHERE ended_at IS NULL AND (user_a = ANY($1::bigint[]) OR user_b = ANY($1::bigint[]))
"""


@dataclass(frozen=True, slots=True)
class PairingResult:
    users: int
    seconds: float
    searches_per_s: float
    chats: int
    left_waiting: int
    pair_p50_ms: float
    pair_p99_ms: float
    first_answer_p50_ms: float
    first_answer_p99_ms: float
    lost_matches: int
    double_matches: int
    bad_pairs: int
    invariant_violations: int

    @property
    def ok(self) -> bool:
        return self.lost_matches == self.double_matches == self.bad_pairs == self.invariant_violations == 0


async def add_easygoing_users(pool: asyncpg.Pool[Any], user_ids: Iterable[int]) -> None:
    """Adults who accept anyone: every two of them can be paired."""
    await add_users(
        pool,
        [
            User(
                user_id,
                profile=Profile(Gender.MALE if index % 2 else Gender.FEMALE, 30),
                preferences=SearchPreferences(),
            )
            for index, user_id in enumerate(user_ids)
        ],
    )


async def add_mixed_users(pool: asyncpg.Pool[Any], user_ids: Iterable[int], seed: int) -> None:
    """The matchmaking benchmark's mix: some minors, some picky about gender, age or interests."""
    rng = random.Random(seed)
    await add_users(pool, [random_user(rng, user_id) for user_id in user_ids])


async def end_chats_of(pool: asyncpg.Pool[Any], user_ids: Sequence[int]) -> None:
    """Empty these users' queue places and end their chats, so that a round starts from idle."""
    async with pool.acquire() as connection, connection.transaction():
        await connection.execute("DELETE FROM search_queue WHERE user_id = ANY($1::bigint[])", list(user_ids))
        await connection.execute(_END_CHATS_OF, list(user_ids))


async def active_pairs(pool: asyncpg.Pool[Any], user_ids: Sequence[int]) -> list[tuple[int, int, int]]:
    """(chat id, the user who waited, the user whose search paired them)."""
    return [(row["id"], row["user_a"], row["user_b"]) for row in await pool.fetch(_ACTIVE_CHATS_OF, list(user_ids))]


async def search_all(
    emulator: BotAPIEmulator, pool: asyncpg.Pool[Any], users: Sequence[SimUser], *, timeout: float = 120.0
) -> PairingResult:
    """Every user sends /search at once; wait until the bot has answered everyone and gone quiet."""
    ids = {user.id for user in users}
    answered: dict[int, float] = {}
    paired_at: dict[int, list[float]] = defaultdict(list)
    last_answer = 0.0

    def on_message(message: EmuMessage) -> None:
        nonlocal last_answer
        if message.chat_id not in ids:
            return
        last_answer = message.stored_at
        answered.setdefault(message.chat_id, message.stored_at)
        if any(text in message.body for text in PAIRED_TEXTS):
            paired_at[message.chat_id].append(message.stored_at)

    unsubscribe = emulator.on_bot_message(on_message)
    sent_at: dict[int, float] = {}
    try:
        started = time.perf_counter()
        for user in users:
            sent_at[user.id] = time.perf_counter()
            await user.send_command("/search")
        deadline = started + timeout
        while True:
            await asyncio.sleep(0.1)
            now = time.perf_counter()
            if len(answered) == len(ids) and now - last_answer >= QUIET_SECONDS:
                break
            if now > deadline:
                raise TimeoutError(f"{len(ids) - len(answered)} of {len(ids)} users got no answer to /search")
    finally:
        unsubscribe()
    seconds = last_answer - started
    pairs = await active_pairs(pool, sorted(ids))
    pair_latencies = [
        max(paired_at[waited][0], paired_at[searched][0]) - sent_at[searched]
        for _chat, waited, searched in pairs
        if paired_at[waited] and paired_at[searched]
    ]
    first_answers = [answered[user_id] - sent_at[user_id] for user_id in ids]
    told_twice = sum(len(times) - 1 for times in paired_at.values() if len(times) > 1)
    announced = sum(1 for times in paired_at.values() if times) // 2
    check: Check = await check_guarantees(pool, announced + await _other_active_chats(pool, sorted(ids)))
    violations = await find_violations(pool)
    return PairingResult(
        users=len(ids),
        seconds=round(seconds, 3),
        searches_per_s=round(len(ids) / seconds, 1),
        chats=len(pairs),
        left_waiting=check.waiting,
        pair_p50_ms=round(percentile(pair_latencies, 50) * 1000, 1),
        pair_p99_ms=round(percentile(pair_latencies, 99) * 1000, 1),
        first_answer_p50_ms=round(percentile(first_answers, 50) * 1000, 1),
        first_answer_p99_ms=round(percentile(first_answers, 99) * 1000, 1),
        lost_matches=check.lost_matches,
        double_matches=check.double_matches + told_twice,
        bad_pairs=check.bad_pairs,
        invariant_violations=sum(violation.rows for violation in violations),
    )


async def _other_active_chats(pool: asyncpg.Pool[Any], user_ids: Sequence[int]) -> int:
    """Active chats of users outside this round (the relay pairs), which check_guarantees also sees."""
    count: int = await pool.fetchval(
        "SELECT count(*) FROM chats WHERE ended_at IS NULL AND NOT (user_a = ANY($1::bigint[]))", list(user_ids)
    )
    return count
