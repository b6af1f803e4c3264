"""A change of profile or wishes applies the pairing rules again at once: a chat the pair could no
longer start ends, a waiting user waits (or is paired) under the new rules. Also when the change
and a search happen at the same instant."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg

from roulette.domain import Language
from roulette.domain import PartnerGender
from roulette.domain import Profile
from roulette.domain import SearchPreferences
from roulette.domain import pairing_obstacle
from roulette.invariants import find_violations
from roulette.usecases import UseCases
from roulette.usecases.chat import ChatClosed
from roulette.usecases.profile import Saved
from roulette.usecases.search import InChat
from roulette.usecases.search import Paired
from roulette.usecases.search import SearchOutcome
from roulette.usecases.search import Unpaired
from tests.support.members import MAN
from tests.support.members import WOMAN
from tests.support.members import chat_between
from tests.support.members import member
from tests.support.members import members_in_chat

ADMIN = 900
ROUNDS = 40


async def outbox(pool: asyncpg.Pool[Any]) -> list[tuple[str, int]]:
    return [(row["kind"], row["recipient_id"]) for row in await pool.fetch("SELECT * FROM outbox ORDER BY id")]


# --- in a chat ------------------------------------------------------------------------------------


async def test_a_wish_the_partner_no_longer_meets_ends_the_chat_and_both_are_told(
    usecases: UseCases, pool: asyncpg.Pool[Any]
) -> None:
    await member(usecases, 1, MAN, 25)
    await member(usecases, 2, WOMAN, 30)
    chat_id = await chat_between(usecases, 1, 2)
    before = await outbox(pool)

    saved = await usecases.update_preferences(2, SearchPreferences(PartnerGender.FEMALE))

    assert isinstance(saved, Saved) and saved.ended_chat == ChatClosed(chat_id, 1)
    assert await usecases.get_current_chat(1) is Unpaired.IDLE
    assert (await outbox(pool))[len(before) :] == [("partner_left", 1), ("you_left", 2)]
    assert await pool.fetchval("SELECT end_reason FROM chats WHERE id = $1", chat_id) == "no_longer_compatible"


async def test_a_profile_the_partners_wishes_no_longer_accept_ends_the_chat(usecases: UseCases) -> None:
    await member(usecases, 1, MAN, 25, wants=PartnerGender.FEMALE)
    await member(usecases, 2, WOMAN, 30)
    chat_id = await chat_between(usecases, 1, 2)

    saved = await usecases.update_profile(2, Profile(WOMAN, 40))  # still a woman, still wished: fine
    assert isinstance(saved, Saved) and saved.ended_chat is None
    assert await usecases.get_current_chat(2) == InChat(chat_id, 1)

    saved = await usecases.update_profile(2, Profile(MAN, 40))
    assert isinstance(saved, Saved) and saved.ended_chat == ChatClosed(chat_id, 1)


async def test_a_change_the_pair_still_meets_leaves_the_chat_alone(usecases: UseCases) -> None:
    await member(usecases, 1, MAN, 25)
    await member(usecases, 2, WOMAN, 30)
    chat_id = await chat_between(usecases, 1, 2)

    saved = await usecases.update_preferences(2, SearchPreferences(PartnerGender.MALE, 20, 40))

    assert isinstance(saved, Saved) and saved.ended_chat is None and saved.paired is None
    assert await usecases.get_current_chat(1) == InChat(chat_id, 2)


# --- waiting --------------------------------------------------------------------------------------


async def test_a_waiting_user_whose_new_wish_someone_waiting_meets_is_paired_at_once(usecases: UseCases) -> None:
    await member(usecases, 1, MAN, 25, wants=PartnerGender.MALE)
    await member(usecases, 2, WOMAN, 30)
    assert await usecases.start_search(1) is SearchOutcome.WAITING
    assert await usecases.start_search(2) is SearchOutcome.WAITING  # he wants men: both wait

    saved = await usecases.update_preferences(1, SearchPreferences(PartnerGender.ANY))

    assert isinstance(saved, Saved) and isinstance(saved.paired, Paired) and saved.paired.partner.id == 2
    assert await usecases.get_current_chat(2) == InChat(saved.paired.chat_id, 1)


async def test_a_waiting_user_waits_under_the_new_wish(usecases: UseCases) -> None:
    await member(usecases, 1, WOMAN, 25)
    await member(usecases, 2, MAN, 30)
    assert await usecases.start_search(1) is SearchOutcome.WAITING

    saved = await usecases.update_preferences(1, SearchPreferences(PartnerGender.FEMALE))

    assert isinstance(saved, Saved) and saved.paired is None
    assert await usecases.get_current_chat(1) is Unpaired.SEARCHING
    assert await usecases.start_search(2) is SearchOutcome.WAITING  # a man no longer finds her


async def test_a_waiting_user_who_changes_a_wish_keeps_their_place_in_the_queue(
    usecases: UseCases, pool: asyncpg.Pool[Any]
) -> None:
    await member(usecases, 1, WOMAN, 25, wants=PartnerGender.MALE)
    await member(usecases, 2, WOMAN, 26, wants=PartnerGender.MALE)
    await member(usecases, 3, MAN, 30)
    assert await usecases.start_search(1) is SearchOutcome.WAITING  # she has waited longest
    assert await usecases.start_search(2) is SearchOutcome.WAITING
    since = await pool.fetchval("SELECT enqueued_at FROM search_queue WHERE user_id = 1")
    await pool.execute("UPDATE search_queue SET hinted_at = now() WHERE user_id = 1")

    saved = await usecases.update_preferences(1, SearchPreferences(PartnerGender.MALE, 20, 60))

    assert isinstance(saved, Saved) and saved.paired is None
    place = await pool.fetchrow("SELECT enqueued_at, hinted_at FROM search_queue WHERE user_id = 1")
    assert place is not None and place["enqueued_at"] == since and place["hinted_at"] is not None
    found = await usecases.start_search(3)  # both women accept him: the longest waiting comes first
    assert isinstance(found, Paired) and found.partner.id == 1


async def test_a_waiting_user_who_switches_language_is_paired_with_someone_waiting_in_it(usecases: UseCases) -> None:
    await member(usecases, 1, WOMAN, 25)
    await member(usecases, 2, MAN, 30)
    await usecases.set_language(2, Language.RU)
    assert await usecases.start_search(1) is SearchOutcome.WAITING
    assert await usecases.start_search(2) is SearchOutcome.WAITING  # each wants their own language

    saved = await usecases.set_language(1, Language.RU)

    assert isinstance(saved, Saved) and isinstance(saved.paired, Paired) and saved.paired.partner.id == 2


async def test_switching_language_away_from_a_partner_who_wants_their_own_ends_the_chat(usecases: UseCases) -> None:
    chat_id = await members_in_chat(usecases, 1, 2)

    saved = await usecases.set_language(1, Language.RU)

    assert isinstance(saved, Saved) and saved.ended_chat == ChatClosed(chat_id, 2)
    assert await usecases.get_current_chat(2) is Unpaired.IDLE


# --- at the same instant --------------------------------------------------------------------------


async def waiting_woman_and_a_man(usecases: UseCases, round_: int) -> tuple[int, int]:
    """A woman of 25 who waits for anyone, and a man of 30 about to search: their ids."""
    waiting, searcher = 10 * round_ + 1, 10 * round_ + 2
    await member(usecases, waiting, WOMAN, 25)
    await member(usecases, searcher, MAN, 30)
    assert await usecases.start_search(waiting) is SearchOutcome.WAITING
    return waiting, searcher


async def test_a_wish_changed_while_a_search_would_pair_the_user_never_leaves_them_in_a_chat_against_it(
    usecases: UseCases, pool: asyncpg.Pool[Any]
) -> None:
    for round_ in range(ROUNDS):
        waiting, searcher = await waiting_woman_and_a_man(usecases, round_)

        # she stops wanting men just as a man searches: paired before the change, the change ends
        # the chat; searching after it, he does not find her
        await asyncio.gather(
            usecases.update_preferences(waiting, SearchPreferences(PartnerGender.FEMALE)),
            usecases.start_search(searcher),
        )

        for user_id in (waiting, searcher):
            status = await usecases.get_current_chat(user_id)
            assert not isinstance(status, InChat), (round_, status)
        # not lost: still waiting, or paired first and then told that the chat is over
        if await usecases.get_current_chat(waiting) is not Unpaired.SEARCHING:
            assert ("you_left", waiting) in await outbox(pool) and ("partner_left", searcher) in await outbox(pool)
        await pool.execute("DELETE FROM search_queue")
    assert await find_violations(pool) == []


async def test_an_admin_moving_a_waiting_adult_to_minors_while_an_adult_searches_never_pairs_them(
    usecases: UseCases, pool: asyncpg.Pool[Any]
) -> None:
    for round_ in range(ROUNDS):
        waiting, searcher = await waiting_woman_and_a_man(usecases, round_)

        await asyncio.gather(usecases.set_age(ADMIN, waiting, 16), usecases.start_search(searcher))

        adult, minor = await usecases.get_user(searcher), await usecases.get_user(waiting)
        assert adult is not None and minor is not None
        status = await usecases.get_current_chat(waiting)
        assert not isinstance(status, InChat) or pairing_obstacle(adult, minor) is None
        await pool.execute("DELETE FROM search_queue")
        assert await find_violations(pool) == []
