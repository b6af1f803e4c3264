"""The wait hint: which own wish narrows the pool (pure rules), and exactly one claim per search."""

from __future__ import annotations

from collections import Counter
from typing import Any

import asyncpg

from roulette.domain import Gender
from roulette.domain import Interests
from roulette.domain import InterestsMode
from roulette.domain import Language
from roulette.domain import PartnerGender
from roulette.domain import PartnerLanguage
from roulette.domain import Profile
from roulette.domain import SearchPreferences
from roulette.domain import User
from roulette.usecases import UseCases
from roulette.wishes import NarrowestWish
from roulette.wishes import WaitingFigures
from roulette.wishes import Wish
from roulette.wishes import narrowest_wish
from tests.support.seeding import add_users
from tests.support.workers import run_at_once


def user(
    age: int = 25,
    *,
    gender: Gender = Gender.MALE,
    interests: frozenset[str] = frozenset(),
    language: Language = Language.EN,
    **wishes: Any,
) -> User:
    return User(
        1,
        language=language,
        profile=Profile(gender, age, Interests(interests)),
        preferences=SearchPreferences(**wishes),
    )


# Who waits (the user of each case among them): 10 adult women aged 30 speaking English who like
# music, 10 adult men aged 19 speaking Russian, and 1 adult man aged 25 speaking English who
# likes sports (the user).
FIGURES = WaitingFigures(
    by_profile={(True, "female", 30, "en"): 10, (True, "male", 19, "ru"): 10, (True, "male", 25, "en"): 1},
    by_interest={(True, "music"): 10, (True, "sports"): 1},
)


def test_no_wish_no_hint() -> None:
    assert narrowest_wish(user(partner_language=PartnerLanguage.ANY), FIGURES) is None


def test_the_age_range_that_keeps_fewest_is_named() -> None:
    assert narrowest_wish(user(age_min=18, age_max=20), FIGURES) == NarrowestWish(Wish.PARTNER_AGE, 10, 20)
    # keeps only the user themself: nobody else
    assert narrowest_wish(user(age_min=24, age_max=26), FIGURES) == NarrowestWish(Wish.PARTNER_AGE, 0, 20)


def test_a_wish_that_keeps_more_than_half_is_not_named() -> None:
    assert narrowest_wish(user(age_min=18, age_max=40, partner_language=PartnerLanguage.ANY), FIGURES) is None
    assert narrowest_wish(user(partner_gender=PartnerGender.FEMALE, partner_language=PartnerLanguage.ANY), FIGURES) == (
        NarrowestWish(Wish.PARTNER_GENDER, 10, 20)
    )


def test_the_narrowest_of_several_wishes_wins() -> None:
    picky = user(partner_gender=PartnerGender.FEMALE, age_min=24, age_max=26)
    assert narrowest_wish(picky, FIGURES) == NarrowestWish(Wish.PARTNER_AGE, 0, 20)
    # "men" keeps the 10 Russian speakers, "same language" the 10 English-speaking women: a tie
    # goes to the wish listed first (age, gender, language, interests)
    assert narrowest_wish(user(partner_gender=PartnerGender.MALE), FIGURES) == NarrowestWish(
        Wish.PARTNER_GENDER, 10, 20
    )


def test_requiring_a_shared_interest_is_measured_by_the_interests_counts() -> None:
    sporty = user(
        interests=frozenset({"sports"}), interests_mode=InterestsMode.REQUIRE, partner_language=PartnerLanguage.ANY
    )
    assert narrowest_wish(sporty, FIGURES) == NarrowestWish(Wish.SHARED_INTERESTS, 0, 20)
    # requiring a shared interest with none chosen: their row is in no figure, everybody else is
    nothing = user(interests_mode=InterestsMode.REQUIRE, partner_language=PartnerLanguage.ANY)
    figures = WaitingFigures({(True, "female", 30, "en"): 10}, {})
    assert narrowest_wish(nothing, figures) == NarrowestWish(Wish.SHARED_INTERESTS, 0, 10)


def test_nobody_else_waiting_in_the_class_no_hint() -> None:
    teen = user(16, age_min=13, age_max=14)
    assert narrowest_wish(teen, FIGURES) is None
    assert narrowest_wish(teen, WaitingFigures({(False, "male", 16, "en"): 1}, {})) is None


async def test_two_processes_sweeping_at_once_hint_each_waiting_user_exactly_once(
    database_url: str, pool: asyncpg.Pool[Any], usecases: UseCases
) -> None:
    # 300 men who wait for women aged 18-20, while all who wait are 30: the age wish narrows
    # everyone's pool to nobody, so every claimed user gets a hint. More than the batch, so each
    # process claims again and again, and both race for the same rows.
    ids = list(range(1, 301))
    await add_users(
        pool,
        [
            User(
                user_id,
                profile=Profile(Gender.MALE, 30),
                preferences=SearchPreferences(partner_gender=PartnerGender.FEMALE, age_min=18, age_max=20),
            )
            for user_id in ids
        ],
    )
    for user_id in ids:
        await usecases.start_search(user_id)
    await pool.execute("UPDATE search_queue SET enqueued_at = now() - interval '2 minutes'")

    outputs = await run_at_once("tests.support.wait_hint_worker", [[database_url], [database_url]])
    hinted: Counter[int] = Counter()
    for output in outputs:
        hinted.update(output)
    assert sorted(hinted) == ids
    assert set(hinted.values()) == {1}
    assert await pool.fetchval("SELECT count(*) FROM search_queue WHERE hinted_at IS NULL") == 0
