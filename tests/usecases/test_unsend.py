"""Unsend against a real database, racing what can happen to the same message or chat at once."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import pytest

from roulette.domain import MessageContent
from roulette.storage.queries import sql
from roulette.usecases import UseCases
from roulette.usecases.chat import NotRelayed
from roulette.usecases.chat import Relay
from roulette.usecases.unsend import DELETABLE_FOR
from roulette.usecases.unsend import NotUnsent
from roulette.usecases.unsend import Unsent
from tests.support.members import chat_between
from tests.support.members import member
from tests.support.members import wait_until_a_query_waits_for_a_lock

ALICE, BOB = 1, 2


async def relayed(usecases: UseCases, sender: int, source_message_id: int, text: str, copy_id: int) -> None:
    sent = await usecases.send_message(sender, source_message_id, MessageContent.text_message(text))
    assert isinstance(sent, Relay)
    await usecases.record_relayed(sent.message_id, copy_id)


async def stored(pool: asyncpg.Pool[Any], source_message_id: int) -> asyncpg.Record:
    row = await pool.fetchrow(
        "SELECT text, deleted_at, (SELECT count(*) FROM message_versions v WHERE v.message_id = m.id) AS versions"
        " FROM messages m WHERE sender_id = $1 AND source_message_id = $2",
        ALICE,
        source_message_id,
    )
    assert row is not None
    return row


@pytest.fixture
async def oops(usecases: UseCases) -> None:
    """Alice and Bob are talking; Alice's message 10, "oops", reached Bob as his message 500."""
    await member(usecases, ALICE)
    await member(usecases, BOB)
    await chat_between(usecases, ALICE, BOB)
    await relayed(usecases, ALICE, 10, "oops", 500)


async def test_unsend_marks_the_message_and_names_the_copy_to_delete(
    usecases: UseCases, pool: asyncpg.Pool[Any], oops: None
) -> None:
    await relayed(usecases, ALICE, 11, "last", 501)

    assert await usecases.unsend_message(ALICE, 10) == Unsent(10, BOB, 500)
    assert await usecases.unsend_message(ALICE) == Unsent(11, BOB, 501)
    assert await usecases.unsend_message(ALICE, 10) is NotUnsent.ALREADY_UNSENT
    assert await usecases.unsend_message(BOB) is NotUnsent.NOT_IN_THIS_CHAT
    assert (await stored(pool, 10))["deleted_at"] is not None


async def test_an_unsend_while_the_chat_ends_waits_for_the_end_and_then_changes_nothing(
    usecases: UseCases, pool: asyncpg.Pool[Any], oops: None
) -> None:

    async with pool.acquire() as ending, ending.transaction():
        await ending.fetchrow(sql("end_active_chat"), BOB, "stop", False)
        unsend = asyncio.create_task(usecases.unsend_message(ALICE, 10))
        await wait_until_a_query_waits_for_a_lock(pool)  # the unsend waits for the chat's end

    assert await unsend is NotUnsent.NOT_IN_CHAT
    assert (await stored(pool, 10))["deleted_at"] is None


async def test_an_edit_while_the_message_is_unsent_waits_and_then_edits_nothing(
    usecases: UseCases, pool: asyncpg.Pool[Any], oops: None
) -> None:

    async with pool.acquire() as unsending, unsending.transaction():
        await unsending.fetchrow(sql("unsend_message"), ALICE, 10, DELETABLE_FOR.total_seconds())
        edit = asyncio.create_task(usecases.edit_message(ALICE, 10, text="oops, I meant this"))
        await wait_until_a_query_waits_for_a_lock(pool)  # the edit waits for the unsend

    assert await edit is NotRelayed.NO_COPY_TO_EDIT
    row = await stored(pool, 10)
    assert (row["text"], row["versions"]) == ("oops", 0) and row["deleted_at"] is not None


async def test_an_unsend_while_the_message_is_edited_waits_and_then_unsends_the_edited_message(
    usecases: UseCases, pool: asyncpg.Pool[Any], oops: None
) -> None:

    async with pool.acquire() as editing, editing.transaction():
        await editing.fetchrow(sql("find_relayed_copy"), ALICE, 10, "oops, I meant this", None, 20, 10.0)
        unsend = asyncio.create_task(usecases.unsend_message(ALICE, 10))
        await wait_until_a_query_waits_for_a_lock(pool)  # the unsend waits for the edit

    assert await unsend == Unsent(10, BOB, 500)
    row = await stored(pool, 10)
    assert (row["text"], row["versions"]) == ("oops, I meant this", 1) and row["deleted_at"] is not None
