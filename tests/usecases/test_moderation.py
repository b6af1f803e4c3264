"""Moderation use cases against a real database: bans, blocking the bot, figures, retention."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any

import asyncpg

from roulette.domain import MessageContent
from roulette.usecases import UseCases
from roulette.usecases.account import UserNotFound
from roulette.usecases.chat import ChatClosed
from roulette.usecases.search import Banned
from roulette.usecases.search import SearchOutcome
from roulette.usecases.search import Unpaired
from tests.support.flows import ADMIN_ID
from tests.support.members import chat_between
from tests.support.members import ended_chat_between
from tests.support.members import member

# --- moderation --------------------------------------------------------------------------


async def test_a_ban_ends_the_chat_and_the_search_until_it_is_lifted(usecases: UseCases) -> None:
    for user_id in (1, 2, 3):
        await member(usecases, user_id)
    chat_id = await chat_between(usecases, 1, 2)

    banned = await usecases.ban_user(ADMIN_ID, 1, timedelta(days=1))

    assert not isinstance(banned, UserNotFound)
    user, ended = banned
    assert ended == ChatClosed(chat_id, partner_id=2)
    assert user.banned_until is not None and user.banned_until > datetime.now(UTC) + timedelta(hours=23)
    assert await usecases.get_current_chat(2) is Unpaired.IDLE
    assert await usecases.start_search(1) == Banned(user.banned_until)

    unbanned = await usecases.ban_user(ADMIN_ID, 1, None)

    assert not isinstance(unbanned, UserNotFound)
    assert unbanned[0].banned_until is None and unbanned[1] is None
    assert await usecases.start_search(1) is SearchOutcome.WAITING


async def test_banning_a_searching_user_takes_them_out_of_the_queue(usecases: UseCases) -> None:
    await member(usecases, 1)
    await member(usecases, 2)
    await usecases.start_search(1)

    banned = await usecases.ban_user(ADMIN_ID, 1, timedelta(hours=1))

    assert not isinstance(banned, UserNotFound) and banned[1] is None
    assert await usecases.get_current_chat(1) is Unpaired.IDLE
    assert await usecases.start_search(2) is SearchOutcome.WAITING


async def test_banning_an_unknown_user_says_so(usecases: UseCases) -> None:
    assert await usecases.ban_user(ADMIN_ID, 404, timedelta(hours=1)) == UserNotFound(404)
    assert await usecases.ban_user(ADMIN_ID, 404, None) == UserNotFound(404)


async def test_blocking_the_bot_ends_the_chat_and_the_search(usecases: UseCases) -> None:
    for user_id in (1, 2, 3, 4):
        await member(usecases, user_id)
    chat_id = await chat_between(usecases, 1, 2)
    await usecases.start_search(3)

    assert await usecases.set_bot_blocked(1, True) == ChatClosed(chat_id, partner_id=2)
    assert await usecases.set_bot_blocked(3, True) is None

    assert await usecases.get_current_chat(2) is Unpaired.IDLE
    assert await usecases.get_current_chat(3) is Unpaired.IDLE
    assert await usecases.start_search(4) is SearchOutcome.WAITING


async def test_unblocking_the_bot_lets_the_user_meet_people_again(usecases: UseCases) -> None:
    await member(usecases, 1)
    await member(usecases, 2)
    await usecases.set_bot_blocked(1, True)

    assert await usecases.set_bot_blocked(1, False) is None

    await chat_between(usecases, 1, 2)


async def test_stats_count_users_chats_searches_messages_and_open_reports(usecases: UseCases) -> None:
    for user_id in (1, 2, 3, 4, 5):
        await member(usecases, user_id)
    ended = await ended_chat_between(usecases, 1, 2)
    await usecases.report_partner(1, ended, "spam")
    await chat_between(usecases, 3, 4)
    await usecases.send_message(3, 1, MessageContent.text_message("hi"))
    await usecases.send_message(4, 1, MessageContent.text_message("hey"))
    await usecases.start_search(5)

    stats = await usecases.get_stats()

    assert (stats.users, stats.new_users_24h) == (5, 5)
    assert (stats.active_chats, stats.searching) == (1, 1)
    assert (stats.messages_24h, stats.open_reports) == (2, 1)


async def test_messages_of_chats_past_retention_and_old_update_ids_are_purged(
    usecases: UseCases, pool: asyncpg.Pool[Any]
) -> None:
    for user_id in (1, 2, 3, 4):
        await member(usecases, user_id)
    ended = await chat_between(usecases, 1, 2)
    await usecases.send_message(1, 10, MessageContent.text_message("yesterday"))
    await usecases.close_chat(1)
    active = await chat_between(usecases, 3, 4)
    await usecases.send_message(3, 11, MessageContent.text_message("a week ago, in a chat still going on"))
    await pool.execute("UPDATE chats SET ended_at = now() - interval '25 hours' WHERE id = $1", ended)
    await pool.execute("UPDATE messages SET created_at = now() - interval '8 days'")
    await pool.execute(
        "INSERT INTO processed_updates (update_id, processed_at) VALUES (1, now() - interval '2 days'), (2, now())"
    )

    purged = await usecases.purge_expired()

    assert (purged.messages, purged.chats, purged.updates) == (1, 0, 1)
    assert await usecases.get_chat_history(ended) == []
    assert [m.content.text for m in await usecases.get_chat_history(active)] == ["a week ago, in a chat still going on"]
    assert await pool.fetchval("SELECT array_agg(update_id) FROM processed_updates") == [2]
    again = await usecases.purge_expired()
    assert (again.messages, again.chats, again.updates) == (0, 0, 0)
