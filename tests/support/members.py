"""Users and chats set up through the use cases themselves, for the use case tests."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg

from roulette.domain import Gender
from roulette.domain import Interests
from roulette.domain import InterestsMode
from roulette.domain import Language
from roulette.domain import PartnerGender
from roulette.domain import Profile
from roulette.domain import SearchPreferences
from roulette.domain import User
from roulette.usecases import UseCases
from roulette.usecases.chat import ChatClosed
from roulette.usecases.profile import Saved
from roulette.usecases.search import Paired
from roulette.usecases.search import SearchOutcome

MAN, WOMAN = Gender.MALE, Gender.FEMALE
ANYONE = PartnerGender.ANY


async def member(
    usecases: UseCases,
    user_id: int,
    gender: Gender | None = MAN,
    age: int | None = 25,
    *,
    wants: PartnerGender = ANYONE,
    ages: tuple[int, int] = (13, 99),
    interests: tuple[str, ...] = (),
    mode: InterestsMode = InterestsMode.PREFER,
) -> User:
    """A registered user with this profile and these preferences."""
    await usecases.register_user(user_id, Language.EN)
    await usecases.update_profile(user_id, Profile(gender, age, Interests.of(interests)))
    saved = await usecases.update_preferences(user_id, SearchPreferences(wants, ages[0], ages[1], mode))
    assert isinstance(saved, Saved)
    return saved.user


async def chat_between(usecases: UseCases, first: int, second: int) -> int:
    """`first` waits, `second` searches and gets `first`: the new chat's id."""
    assert await usecases.start_search(first) is SearchOutcome.WAITING
    result = await usecases.start_search(second)
    assert isinstance(result, Paired) and result.partner.id == first
    return result.chat_id


async def members_in_chat(usecases: UseCases, first: int, second: int) -> int:
    """Two members with the default profile, in a chat together: its id."""
    await member(usecases, first)
    await member(usecases, second)
    return await chat_between(usecases, first, second)


async def ended_chat_between(usecases: UseCases, first: int, second: int) -> int:
    chat_id = await chat_between(usecases, first, second)
    assert isinstance(await usecases.close_chat(first), ChatClosed)
    return chat_id


async def wait_until_a_query_waits_for_a_lock(pool: asyncpg.Pool[Any]) -> None:
    """Return once some transaction of this database is blocked on a row lock."""
    for _ in range(500):
        waiting = await pool.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        if waiting:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("no query ever waited for the lock")
