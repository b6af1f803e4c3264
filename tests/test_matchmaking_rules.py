"""The pairing SQL (sql/functions/start_search.sql) and domain.can_pair say the same.

The function applies every rule in SQL for speed; the domain states them in Python. For many
random pairs of users, a waiting user and a searcher are paired exactly when can_pair says so.
And the ranking: more shared interests first, then the longest wait, among the longest-waiting
compatible users up to the function's bound.
"""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

import asyncpg

from roulette.domain import INTEREST_CATALOG
from roulette.domain import Gender
from roulette.domain import Interests
from roulette.domain import InterestsMode
from roulette.domain import Language
from roulette.domain import PartnerGender
from roulette.domain import PartnerLanguage
from roulette.domain import Profile
from roulette.domain import SearchPreferences
from roulette.domain import User
from roulette.domain import can_pair
from roulette.usecases import UseCases
from roulette.usecases.search import Paired
from roulette.usecases.search import SearchOutcome

PAIRS = 400
# How many of the longest-waiting compatible users the function ranks by shared interests.
RANKED = int(
    re.search(
        r"ranked CONSTANT INTEGER := (\d+);",
        (Path(__file__).resolve().parents[1] / "sql" / "functions" / "start_search.sql").read_text(encoding="utf-8"),
    ).group(1)  # type: ignore[union-attr]
)


def random_user(rng: random.Random, user_id: int) -> User:
    age = rng.choice([13, 15, 17, 18, 19, 25, 40, 70, 99])
    low = rng.choice([13, 16, 18, 21, 30])
    high = rng.choice([high for high in (17, 18, 25, 45, 99) if high >= low])
    return User(
        user_id,
        language=rng.choice(list(Language)),
        profile=Profile(rng.choice(list(Gender)), age, Interests.of(rng.sample(INTEREST_CATALOG, rng.randint(0, 3)))),
        preferences=SearchPreferences(
            rng.choice(list(PartnerGender)),
            low,
            high,
            rng.choice(list(InterestsMode)),
            rng.choice(list(PartnerLanguage)),
        ),
    )


async def save(usecases: UseCases, user: User) -> User:
    """The user as stored: wished partner ages are kept to the user's own class (roulette/age_wall.py)."""
    await usecases.register_user(user.id, user.language)
    await usecases.update_profile(user.id, user.profile)
    await usecases.update_preferences(user.id, user.preferences)
    stored = await usecases.get_user(user.id)
    assert stored is not None
    return stored


async def test_the_pairing_query_pairs_exactly_the_users_the_domain_allows(
    usecases: UseCases, pool: asyncpg.Pool[Any]
) -> None:
    rng = random.Random(20261126)
    agreed = paired = 0
    across = {True: 0, False: 0}  # pairs of different languages: paired, refused
    for trial in range(PAIRS):
        waiting = await save(usecases, random_user(rng, 2 * trial + 1))
        searcher = await save(usecases, random_user(rng, 2 * trial + 2))
        blocked = rng.random() < 0.1
        if blocked:
            await pool.execute("INSERT INTO blocks (blocker_id, blocked_id) VALUES ($1, $2)", searcher.id, waiting.id)
        assert await usecases.start_search(waiting.id) is SearchOutcome.WAITING

        result = await usecases.start_search(searcher.id)

        allowed = can_pair(waiting, searcher, blocked=blocked)
        assert isinstance(result, Paired) == allowed, (waiting, searcher, blocked)
        assert isinstance(result, Paired) or result is SearchOutcome.WAITING
        agreed += 1
        paired += allowed
        if waiting.language != searcher.language:
            across[allowed] += 1
        # leave the queue and chats empty for the next pair
        await pool.execute("DELETE FROM search_queue")
        await pool.execute("UPDATE chat_participants SET active = FALSE")
        await pool.execute("UPDATE chats SET ended_at = now(), end_reason = 'stop' WHERE ended_at IS NULL")
    assert agreed == PAIRS
    assert 0 < paired < PAIRS  # both outcomes were exercised
    assert across[True] > 0 and across[False] > 0  # and so were both sides of the language rule


async def test_shared_interests_rank_only_the_longest_waiting_compatible_users(
    usecases: UseCases, pool: asyncpg.Pool[Any]
) -> None:
    def man(user_id: int, interests: tuple[str, ...]) -> User:
        return User(
            user_id,
            profile=Profile(Gender.MALE, 30, Interests.of(interests)),
            preferences=SearchPreferences(PartnerGender.FEMALE),
        )

    # RANKED + 1 men who want women wait, in id order; one of the first RANKED shares one interest with the
    # searchers, the last one to come shares three. A man who cannot be paired with them (he
    # wants men only) waits in between and is no candidate at all.
    waiting = [man(user_id, ()) for user_id in range(1, RANKED + 2)]
    waiting[4] = man(5, ("music",))
    waiting[-1] = man(RANKED + 1, ("music", "books", "games"))
    picky = User(500, profile=Profile(Gender.MALE, 30), preferences=SearchPreferences(PartnerGender.MALE))
    searchers = [
        User(user_id, profile=Profile(Gender.FEMALE, 30, Interests.of(("music", "books", "games"))))
        for user_id in (1001, 1002, 1003)
    ]
    for user in [*waiting[:3], picky, *waiting[3:], *searchers]:
        await save(usecases, user)
    for user in [*waiting[:3], picky, *waiting[3:]]:
        assert await usecases.start_search(user.id) is SearchOutcome.WAITING

    # the best of the RANKED longest-waiting: one shared interest beats a longer wait
    first = await usecases.start_search(1001)
    assert isinstance(first, Paired) and first.partner.id == 5
    # now the last one is among the RANKED longest-waiting, and his three shared interests win
    second = await usecases.start_search(1002)
    assert isinstance(second, Paired) and second.partner.id == RANKED + 1
    # and among equals, the longest wait
    third = await usecases.start_search(1003)
    assert isinstance(third, Paired) and third.partner.id == 1
