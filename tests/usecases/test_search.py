"""Search use cases against a real database: pairing by the rules, ranking, cancelling, status."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from roulette.domain import Gender
from roulette.domain import InterestsMode
from roulette.domain import PartnerGender
from roulette.storage.uow import Database
from roulette.usecases import UseCases
from roulette.usecases.account import UserNotFound
from roulette.usecases.search import Banned
from roulette.usecases.search import InChat
from roulette.usecases.search import Paired
from roulette.usecases.search import SearchOutcome
from roulette.usecases.search import Unpaired
from tests.support.flows import ADMIN_ID
from tests.support.members import MAN
from tests.support.members import WOMAN
from tests.support.members import chat_between
from tests.support.members import member
from tests.support.members import members_in_chat
from tests.support.members import wait_until_a_query_waits_for_a_lock

# --- searching ---------------------------------------------------------------------------


async def test_a_lone_searcher_waits(usecases: UseCases) -> None:
    await member(usecases, 1)
    assert await usecases.start_search(1) is SearchOutcome.WAITING
    assert await usecases.get_current_chat(1) is Unpaired.SEARCHING


async def test_two_compatible_searchers_are_paired_with_each_other(usecases: UseCases) -> None:
    first = await member(usecases, 1, MAN, 30, interests=("music", "art"))
    second = await member(usecases, 2, WOMAN, 28, interests=("art", "food"))

    assert await usecases.start_search(1) is SearchOutcome.WAITING
    result = await usecases.start_search(2)

    assert isinstance(result, Paired)
    assert result.partner == first and result.me == second
    assert result.shared_interests == {"art"}
    assert await usecases.get_current_chat(1) == InChat(result.chat_id, partner_id=2)
    assert await usecases.get_current_chat(2) == InChat(result.chat_id, partner_id=1)
    assert (await usecases.get_stats()).searching == 0


async def test_searching_again_while_waiting_says_already_searching(usecases: UseCases) -> None:
    await member(usecases, 1)
    await usecases.start_search(1)
    assert await usecases.start_search(1) is SearchOutcome.ALREADY_SEARCHING


async def test_searching_while_in_a_chat_says_already_in_chat(usecases: UseCases) -> None:
    chat_id = await members_in_chat(usecases, 1, 2)
    assert await usecases.start_search(1) == InChat(chat_id, partner_id=2)
    assert await usecases.start_search(2) == InChat(chat_id, partner_id=1)


@pytest.mark.parametrize(("gender", "age"), [(None, 25), (MAN, None), (None, None)])
async def test_an_incomplete_profile_cannot_search(usecases: UseCases, gender: Gender | None, age: int | None) -> None:
    await member(usecases, 1, gender, age)
    assert await usecases.start_search(1) is SearchOutcome.PROFILE_INCOMPLETE
    assert await usecases.get_current_chat(1) is Unpaired.IDLE


async def test_a_banned_user_cannot_search(usecases: UseCases) -> None:
    await member(usecases, 1)
    banned = await usecases.ban_user(ADMIN_ID, 1, timedelta(hours=1))
    assert not isinstance(banned, UserNotFound)
    user, _ = banned
    assert user.banned_until is not None

    assert await usecases.start_search(1) == Banned(user.banned_until)
    assert await usecases.get_current_chat(1) is Unpaired.IDLE


async def test_an_unknown_user_cannot_search(usecases: UseCases) -> None:
    assert await usecases.start_search(404) == UserNotFound(404)


Wishes = dict[str, Any]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        pytest.param({"gender": MAN, "wants": PartnerGender.FEMALE}, {"gender": MAN}, id="he-wants-a-woman"),
        pytest.param({"gender": MAN}, {"gender": MAN, "wants": PartnerGender.FEMALE}, id="the-other-wants-a-woman"),
        pytest.param({"age": 30, "ages": (18, 25)}, {"age": 26}, id="too-old-for-the-waiting-one"),
        pytest.param({"age": 26}, {"age": 30, "ages": (18, 25)}, id="too-old-for-the-searcher"),
        pytest.param({"age": 20}, {"age": 30, "ages": (25, 35)}, id="too-young-for-the-searcher"),
        pytest.param({"age": 17}, {"age": 18}, id="a-minor-and-an-adult"),
        pytest.param({"age": 18}, {"age": 17}, id="an-adult-and-a-minor"),
        pytest.param(
            {"interests": ("music",), "mode": InterestsMode.REQUIRE}, {"interests": ("art",)}, id="waiting-one-requires"
        ),
        pytest.param(
            {"interests": ("music",)}, {"interests": ("art",), "mode": InterestsMode.REQUIRE}, id="searcher-requires"
        ),
    ],
)
async def test_users_whose_wishes_do_not_hold_both_ways_are_not_paired(
    usecases: UseCases, first: Wishes, second: Wishes
) -> None:
    await member(usecases, 1, **first)
    await member(usecases, 2, **second)

    assert await usecases.start_search(1) is SearchOutcome.WAITING
    assert await usecases.start_search(2) is SearchOutcome.WAITING


@pytest.mark.parametrize(
    ("first", "second"),
    [
        pytest.param(
            {"gender": MAN, "wants": PartnerGender.FEMALE},
            {"gender": WOMAN, "wants": PartnerGender.MALE},
            id="each-the-others-wish",
        ),
        pytest.param({"age": 30, "ages": (25, 35)}, {"age": 25, "ages": (30, 30)}, id="ages-fit-both-ways"),
        pytest.param({"age": 13, "ages": (13, 17)}, {"age": 17}, id="two-minors"),
        pytest.param({"age": 18}, {"age": 99}, id="two-adults"),
        pytest.param(
            {"interests": ("music", "art"), "mode": InterestsMode.REQUIRE},
            {"interests": ("art",), "mode": InterestsMode.REQUIRE},
            id="required-interest-shared",
        ),
    ],
)
async def test_users_whose_wishes_hold_both_ways_are_paired(usecases: UseCases, first: Wishes, second: Wishes) -> None:
    await member(usecases, 1, **first)
    await member(usecases, 2, **second)

    await chat_between(usecases, 1, 2)


async def waiting_men(usecases: UseCases, *interests: tuple[str, ...]) -> list[int]:
    """Men who want a woman, waiting in this order (so they cannot be paired with each other)."""
    ids = []
    for user_id, tags in enumerate(interests, start=1):
        await member(usecases, user_id, MAN, wants=PartnerGender.FEMALE, interests=tags)
        assert await usecases.start_search(user_id) is SearchOutcome.WAITING
        ids.append(user_id)
    return ids


async def partners_of_women_searching(
    usecases: UseCases, count: int, interests: tuple[str, ...] = (), mode: InterestsMode = InterestsMode.PREFER
) -> list[int]:
    """Women search one after the other; whom each of them meets."""
    met = []
    for user_id in range(101, 101 + count):
        await member(usecases, user_id, WOMAN, interests=interests, mode=mode)
        result = await usecases.start_search(user_id)
        assert isinstance(result, Paired)
        met.append(result.partner.id)
    return met


async def test_a_searcher_meets_whoever_shares_the_most_interests_first(usecases: UseCases) -> None:
    await waiting_men(usecases, (), ("music",), ("music", "art"), ("music", "art"))

    met = await partners_of_women_searching(usecases, 4, interests=("music", "art", "books"))

    # most shared interests first; between 3 and 4, who share as much, the one waiting longer
    assert met == [3, 4, 2, 1]


async def test_among_equally_good_partners_the_longest_waiting_comes_first(usecases: UseCases) -> None:
    await waiting_men(usecases, ("art",), (), ("music",), ("pets",))

    assert await partners_of_women_searching(usecases, 4) == [1, 2, 3, 4]


async def test_a_searcher_who_ignores_interests_meets_the_longest_waiting(usecases: UseCases) -> None:
    await waiting_men(usecases, (), ("music", "art"))

    met = await partners_of_women_searching(usecases, 2, ("music", "art"), InterestsMode.IGNORE)

    assert met == [1, 2]


async def test_a_searcher_who_requires_interests_skips_those_sharing_none(usecases: UseCases) -> None:
    await waiting_men(usecases, ("art",), ("music", "tech"))

    met = await partners_of_women_searching(usecases, 1, ("music",), InterestsMode.REQUIRE)

    assert met == [2]
    assert await usecases.get_current_chat(1) is Unpaired.SEARCHING


async def test_a_waiting_user_who_requires_interests_waits_for_someone_sharing_one(usecases: UseCases) -> None:
    await member(usecases, 1, interests=("music",), mode=InterestsMode.REQUIRE)
    await usecases.start_search(1)

    await member(usecases, 2, interests=("art",))
    assert await usecases.start_search(2) is SearchOutcome.WAITING

    await member(usecases, 3, interests=("music",), mode=InterestsMode.IGNORE)
    result = await usecases.start_search(3)
    assert isinstance(result, Paired) and result.partner.id == 1


async def test_a_user_who_cancels_as_they_are_picked_is_not_paired(usecases: UseCases, db: Database) -> None:
    await member(usecases, 1)
    await member(usecases, 2)
    await usecases.start_search(1)

    # user 1's cancel is half done (its queue row deleted, not yet committed) when user 2 searches
    async with db.uow() as cancel:
        assert await cancel.queue.dequeue(1)
        search = asyncio.create_task(usecases.start_search(2))
        await wait_until_a_query_waits_for_a_lock(db.pool)
        await cancel.commit()

    assert await search is SearchOutcome.WAITING
    assert await usecases.get_current_chat(1) is Unpaired.IDLE
    assert await usecases.get_current_chat(2) is Unpaired.SEARCHING


async def test_a_user_deleted_as_they_are_picked_is_not_paired(usecases: UseCases, db: Database) -> None:
    await member(usecases, 1)
    await member(usecases, 2)
    await usecases.start_search(1)

    async with db.uow() as delete:
        await delete.queue.dequeue(1)
        assert await delete.users.delete(1)
        search = asyncio.create_task(usecases.start_search(2))
        await wait_until_a_query_waits_for_a_lock(db.pool)
        await delete.commit()

    assert await search is SearchOutcome.WAITING
    assert (await usecases.get_stats()).active_chats == 0


# --- cancelling and status ---------------------------------------------------------------


async def test_cancelling_a_search_leaves_the_queue(usecases: UseCases) -> None:
    await member(usecases, 1)
    await usecases.start_search(1)

    assert await usecases.cancel_search(1) is True

    assert await usecases.get_current_chat(1) is Unpaired.IDLE
    await member(usecases, 2)
    assert await usecases.start_search(2) is SearchOutcome.WAITING


async def test_cancelling_without_searching_says_so(usecases: UseCases) -> None:
    await member(usecases, 1)
    assert await usecases.cancel_search(1) is False
    assert await usecases.cancel_search(404) is False


async def test_a_user_is_idle_then_searching_then_in_a_chat_then_idle(usecases: UseCases) -> None:
    await member(usecases, 1)
    await member(usecases, 2)
    assert await usecases.get_current_chat(1) is Unpaired.IDLE
    await usecases.start_search(1)
    assert await usecases.get_current_chat(1) is Unpaired.SEARCHING
    result = await usecases.start_search(2)
    assert isinstance(result, Paired)
    assert await usecases.get_current_chat(1) == InChat(result.chat_id, partner_id=2)
    await usecases.close_chat(2)
    assert await usecases.get_current_chat(1) is Unpaired.IDLE
