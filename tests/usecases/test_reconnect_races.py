"""Talking again, raced: two things at the same moment end with exactly one chat or none, and
every guarantee of the database holds after each round."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

import asyncpg

from roulette.invariants import find_violations
from roulette.usecases import UseCases
from roulette.usecases.after_chat import Blocked
from roulette.usecases.reconnect import Invited
from roulette.usecases.reconnect import NotAgain
from roulette.usecases.reconnect import Reconnected
from roulette.usecases.search import InChat
from roulette.usecases.search import Paired
from roulette.usecases.search import SearchOutcome
from tests.support.members import ended_chat_between
from tests.support.members import member
from tests.support.members import wait_until_a_query_waits_for_a_lock

ROUNDS = 8


async def invited_pair(usecases: UseCases, pool: asyncpg.Pool[Any], asker: int, invitee: int) -> tuple[int, UUID]:
    """`asker` and `invitee` had a chat, and `asker` asked to talk again: the chat and the token."""
    await member(usecases, asker)
    await member(usecases, invitee)
    chat_id = await ended_chat_between(usecases, asker, invitee)
    assert await usecases.ask_to_reconnect(asker, chat_id) == Invited(invitee)
    token: UUID = await pool.fetchval("SELECT token FROM reconnect_invitations WHERE chat_id = $1", chat_id)
    return chat_id, token


async def chats_between(pool: asyncpg.Pool[Any], first: int, second: int) -> int:
    """Active chats of these two with each other."""
    count: int = await pool.fetchval(
        """SELECT count(*) FROM chat_participants mine
           JOIN chat_participants other ON other.chat_id = mine.chat_id AND other.user_id = $2 AND other.active
           WHERE mine.user_id = $1 AND mine.active""",
        first,
        second,
    )
    return count


async def test_both_sides_asking_at_once_open_exactly_one_chat(usecases: UseCases, pool: asyncpg.Pool[Any]) -> None:
    for round_ in range(ROUNDS):
        first, second = 100 + 2 * round_, 101 + 2 * round_
        await member(usecases, first)
        await member(usecases, second)
        chat_id = await ended_chat_between(usecases, first, second)

        results = await asyncio.gather(
            usecases.ask_to_reconnect(first, chat_id), usecases.ask_to_reconnect(second, chat_id)
        )

        assert sorted(type(result).__name__ for result in results) == ["Invited", "Reconnected"]
        assert await chats_between(pool, first, second) == 1
    assert await find_violations(pool) == []


async def test_an_invitation_accepted_twice_at_once_opens_one_chat(usecases: UseCases, pool: asyncpg.Pool[Any]) -> None:
    for round_ in range(ROUNDS):
        asker, invitee = 200 + 2 * round_, 201 + 2 * round_
        _chat_id, token = await invited_pair(usecases, pool, asker, invitee)

        results = await asyncio.gather(
            usecases.accept_reconnect(invitee, token), usecases.accept_reconnect(invitee, token)
        )

        assert NotAgain.INVITATION_GONE in results
        assert len([result for result in results if isinstance(result, Reconnected)]) == 1
        assert await chats_between(pool, asker, invitee) == 1
    assert await find_violations(pool) == []


async def test_an_accept_racing_a_search_by_either_side_opens_one_chat_or_none(
    usecases: UseCases, pool: asyncpg.Pool[Any]
) -> None:
    for round_ in range(ROUNDS):
        asker, invitee, stranger = 300 + 3 * round_, 301 + 3 * round_, 302 + 3 * round_
        _chat_id, token = await invited_pair(usecases, pool, asker, invitee)
        await member(usecases, stranger)
        assert await usecases.start_search(stranger) is SearchOutcome.WAITING  # someone a search would pair with
        searcher = asker if round_ % 2 == 0 else invitee

        accepted, searched = await asyncio.gather(
            usecases.accept_reconnect(invitee, token), usecases.start_search(searcher)
        )

        if isinstance(accepted, Reconnected):
            assert searched == InChat(accepted.chat_id, invitee if searcher == asker else asker)
            assert await chats_between(pool, asker, invitee) == 1
        else:  # the search came first: it paired the searcher with the stranger
            assert isinstance(searched, Paired) and searched.partner.id == stranger
            assert accepted is (NotAgain.IN_ANOTHER_CHAT if searcher == invitee else NotAgain.INVITATION_GONE)
            assert await chats_between(pool, asker, invitee) == 0
        await usecases.cancel_search(stranger)
        for user_id in (asker, invitee, stranger):
            await usecases.close_chat(user_id)
    assert await find_violations(pool) == []


async def test_an_accept_racing_a_block_leaves_no_chat_open(usecases: UseCases, pool: asyncpg.Pool[Any]) -> None:
    for round_ in range(ROUNDS):
        asker, invitee = 400 + 2 * round_, 401 + 2 * round_
        chat_id, token = await invited_pair(usecases, pool, asker, invitee)
        blocker = asker if round_ % 2 == 0 else invitee

        accepted, blocked = await asyncio.gather(
            usecases.accept_reconnect(invitee, token), usecases.block_partner(blocker, chat_id)
        )

        assert isinstance(blocked, Blocked)
        if isinstance(accepted, Reconnected):  # the chat opened first: the block ended it
            assert blocked.ended_chat is not None and blocked.ended_chat.chat_id == accepted.chat_id
        else:
            assert accepted in (NotAgain.INVITATION_GONE, NotAgain.NOT_NOW) and blocked.ended_chat is None
        assert await chats_between(pool, asker, invitee) == 0
        assert not isinstance(await usecases.get_current_chat(asker), InChat)
    assert await find_violations(pool) == []


async def test_an_accept_waiting_behind_a_block_finds_the_invitation_withdrawn(
    usecases: UseCases, pool: asyncpg.Pool[Any]
) -> None:
    """The block's transaction still open: the accept waits for it, then opens nothing."""
    asker, invitee = 501, 502
    chat_id, token = await invited_pair(usecases, pool, asker, invitee)
    async with usecases.block_partner.db.uow() as uow:
        await uow.queue.lock_queue_changes()  # as the block's use case does first
        await uow.safety.block(chat_id, asker)
        accepting = asyncio.ensure_future(usecases.accept_reconnect(invitee, token))
        await wait_until_a_query_waits_for_a_lock(pool)
        await uow.commit()

    assert await accepting is NotAgain.INVITATION_GONE
    assert await chats_between(pool, asker, invitee) == 0


async def test_a_block_waiting_behind_an_accept_ends_the_chat_it_opened(
    usecases: UseCases, pool: asyncpg.Pool[Any]
) -> None:
    """The accept's transaction still open: the block waits for it, then ends the chat."""
    asker, invitee = 601, 602
    chat_id, token = await invited_pair(usecases, pool, asker, invitee)
    async with usecases.accept_reconnect.db.uow() as uow:
        await uow.queue.lock_queue_changes()
        invitation = await uow.reconnect.accept(token, invitee)
        assert invitation is not None
        new_chat = await uow.chats.create(asker, invitee)
        blocking = asyncio.ensure_future(usecases.block_partner(asker, chat_id))
        await wait_until_a_query_waits_for_a_lock(pool)
        await uow.commit()

    blocked = await blocking
    assert isinstance(blocked, Blocked) and blocked.ended_chat is not None and blocked.ended_chat.chat_id == new_chat
    assert await chats_between(pool, asker, invitee) == 0
