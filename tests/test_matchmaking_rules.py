"""The pairing SQL (sql/functions/start_search.sql) and domain.can_pair say the same.

The function applies every rule in SQL for speed; the domain states them in Python. For many
random pairs of users, a waiting user and a searcher are paired exactly when can_pair says so.
"""

from __future__ import annotations

import random
from typing import Any

import asyncpg

from roulette.domain import (
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
from roulette.usecases import UseCases
from roulette.usecases.search import Paired, Waiting

PAIRS = 300


def random_user(rng: random.Random, user_id: int) -> User:
    age = rng.choice([13, 15, 17, 18, 19, 25, 40, 70, 99])
    low = rng.choice([13, 16, 18, 21, 30])
    high = rng.choice([high for high in (17, 18, 25, 45, 99) if high >= low])
    return User(
        user_id,
        profile=Profile(rng.choice(list(Gender)), age, Interests.of(rng.sample(INTEREST_CATALOG, rng.randint(0, 3)))),
        preferences=SearchPreferences(rng.choice(list(PartnerGender)), low, high, rng.choice(list(InterestsMode))),
    )


async def save(usecases: UseCases, user: User) -> None:
    await usecases.register_user(user.id, user.language)
    await usecases.update_profile(user.id, user.profile)
    await usecases.update_preferences(user.id, user.preferences)


async def test_the_pairing_query_pairs_exactly_the_users_the_domain_allows(
    usecases: UseCases, pool: asyncpg.Pool[Any]
) -> None:
    rng = random.Random(20261126)
    agreed = paired = 0
    for trial in range(PAIRS):
        waiting, searcher = random_user(rng, 2 * trial + 1), random_user(rng, 2 * trial + 2)
        blocked = rng.random() < 0.1
        await save(usecases, waiting)
        await save(usecases, searcher)
        if blocked:
            await pool.execute("INSERT INTO blocks (blocker_id, blocked_id) VALUES ($1, $2)", searcher.id, waiting.id)
        assert await usecases.start_search(waiting.id) == Waiting()

        result = await usecases.start_search(searcher.id)

        allowed = can_pair(waiting, searcher, blocked=blocked)
        assert isinstance(result, Paired) == allowed, (waiting, searcher, blocked)
        assert isinstance(result, Paired | Waiting)
        agreed += 1
        paired += allowed
        # leave the queue and chats empty for the next pair
        await pool.execute("DELETE FROM search_queue")
        await pool.execute("UPDATE chat_participants SET active = FALSE")
        await pool.execute("UPDATE chats SET ended_at = now(), end_reason = 'stop' WHERE ended_at IS NULL")
    assert agreed == PAIRS
    assert 0 < paired < PAIRS  # both outcomes were exercised
