"""Messages stored in the same moment share one statement, and each still gets its own answer.

The batching itself (roulette/storage/batches.py) is checked on its own first; then the store
statement with many messages of different situations at once, on a real database; then the use
case, with many senders at once.
"""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import pytest

from roulette.domain import MessageContent
from roulette.domain import MessageKind
from roulette.storage import message_store
from roulette.storage.batches import Batches
from roulette.storage.message_store import StoredMessage
from roulette.storage.message_store import StoreRequest
from roulette.storage.message_store import StoreRules
from roulette.storage.message_store import store_messages
from roulette.storage.uow import Database
from roulette.usecases import UseCases
from roulette.usecases.chat import Relay
from tests.support.members import member
from tests.support.members import members_in_chat

# --- the batching -------------------------------------------------------------------------------


class Recorder:
    """A batch runner that answers each request with its double, and remembers every batch."""

    def __init__(self, fail_on: int | None = None) -> None:
        self.batches: list[tuple[str, list[int]]] = []
        self.fail_on = fail_on

    async def run(self, key: str, requests: list[int]) -> list[int]:
        self.batches.append((key, list(requests)))
        await asyncio.sleep(0)  # a statement takes a while: others may arrive meanwhile
        if self.fail_on in requests:
            raise ValueError(f"request {self.fail_on} is bad")
        return [request * 2 for request in requests]


async def test_requests_of_the_same_moment_run_as_one_batch_in_order() -> None:
    recorder = Recorder()
    batches: Batches[str, int, int] = Batches(recorder.run)

    results = await asyncio.gather(*(batches.submit("k", n) for n in range(1, 21)))

    assert results == [n * 2 for n in range(1, 21)]
    assert recorder.batches == [("k", list(range(1, 21)))]


async def test_a_lone_request_runs_at_once_and_later_ones_form_the_next_batch() -> None:
    recorder = Recorder()
    batches: Batches[str, int, int] = Batches(recorder.run)

    assert await batches.submit("k", 1) == 2
    assert list(await asyncio.gather(batches.submit("k", 2), batches.submit("k", 3))) == [4, 6]

    assert recorder.batches == [("k", [1]), ("k", [2, 3])]


async def test_requests_under_different_keys_never_share_a_batch() -> None:
    recorder = Recorder()
    batches: Batches[str, int, int] = Batches(recorder.run)

    await asyncio.gather(batches.submit("a", 1), batches.submit("b", 2), batches.submit("a", 3))

    assert sorted(recorder.batches) == [("a", [1, 3]), ("b", [2])]


async def test_a_bad_request_fails_alone_and_the_others_get_their_results() -> None:
    recorder = Recorder(fail_on=2)
    batches: Batches[str, int, int] = Batches(recorder.run)

    results = await asyncio.gather(*(batches.submit("k", n) for n in (1, 2, 3)), return_exceptions=True)

    assert results[0] == 2 and results[2] == 6
    assert isinstance(results[1], ValueError)
    # the batch, then each request on its own
    assert recorder.batches[0] == ("k", [1, 2, 3])
    assert sorted(recorder.batches[1:]) == [("k", [1]), ("k", [2]), ("k", [3])]


async def test_a_request_cancelled_before_its_batch_starts_is_left_out() -> None:
    recorder = Recorder()
    batches: Batches[str, int, int] = Batches(recorder.run)
    first = asyncio.ensure_future(batches.submit("k", 1))
    second = asyncio.ensure_future(batches.submit("k", 2))
    await asyncio.sleep(0)  # both submitted; their batch starts in the next turn
    second.cancel()

    assert await first == 2
    with pytest.raises(asyncio.CancelledError):
        await second
    assert recorder.batches == [("k", [1])]


# --- the statement, many messages at once ------------------------------------------------------

RULES = StoreRules(flood_limit=3, flood_window_seconds=60, fsm_bot_id=42, input_states=("Profile:age",))


def _text(sender: int, source: int, reply_to: int | None = None) -> StoreRequest:
    return StoreRequest(sender, source, MessageContent.text_message(f"{sender}/{source}"), None, reply_to)


async def test_one_statement_stores_many_messages_each_as_if_alone(usecases: UseCases, pool: asyncpg.Pool[Any]) -> None:
    first_chat = await members_in_chat(usecases, 1, 2)
    second_chat = await members_in_chat(usecases, 3, 4)
    flooding_chat = await members_in_chat(usecases, 5, 6)
    album_chat = await members_in_chat(usecases, 7, 8)
    await member(usecases, 9)  # in no chat
    await member(usecases, 10)
    await pool.execute("INSERT INTO fsm_state (bot_id, chat_id, user_id, state) VALUES (42, 10, 10, 'Profile:age')")
    async with pool.acquire() as connection:
        # 1's message 100 has reached 2 as 9100; sender 5 has used up the flood limit
        [earlier] = await store_messages(connection, [_text(1, 100)], RULES)
        await connection.execute("UPDATE messages SET relayed_message_id = 9100 WHERE id = $1", earlier.message_id)
        for source in (1, 2, 3):
            await store_messages(connection, [_text(5, source)], RULES)

        results = await store_messages(
            connection,
            [
                _text(2, 200, reply_to=9100),  # a reply to 1's message, as 2 sees it
                _text(3, 300),
                _text(5, 4),  # over the limit
                StoreRequest(7, 700, MessageContent.media(MessageKind.PHOTO, "photo-1"), "album-1"),
                _text(9, 900),
                _text(10, 1000),  # the answer to the bot's question
                _text(1, 100),  # delivered again
            ],
            RULES,
        )

    two, three, five, seven, nine, ten, again = results
    assert (two.chat_id, two.partner_id, two.reply_to_message_id, two.flooded) == (first_chat, 1, 100, False)
    assert two.message_id is not None and two.relayed_message_id is None
    assert (three.chat_id, three.partner_id, three.reply_to_message_id) == (second_chat, 4, None)
    assert (five.chat_id, five.flooded, five.message_id) == (flooding_chat, True, None)
    assert (seven.chat_id, seven.partner_id) == (album_chat, 8) and seven.message_id is not None
    assert nine == StoredMessage(None, None, None, None, None, None, False, None, None)
    assert (ten.awaiting_input, ten.message_id) == ("Profile:age", None)
    assert (again.message_id, again.relayed_message_id) == (earlier.message_id, 9100)
    pending_album = await pool.fetchval(
        "SELECT count(*) FROM outbox WHERE kind = 'album' AND chat_id = $1 AND sender_id = 7 AND recipient_id = 8",
        album_chat,
    )
    assert pending_album == 1
    stored = await pool.fetch("SELECT sender_id, source_message_id FROM messages ORDER BY id")
    assert [(row["sender_id"], row["source_message_id"]) for row in stored] == [
        (1, 100),
        (5, 1),
        (5, 2),
        (5, 3),
        (2, 200),
        (3, 300),
        (7, 700),
    ]


async def test_two_rows_that_would_meet_in_one_statement_are_stored_one_by_one(
    usecases: UseCases, db: Database
) -> None:
    chat_id = await members_in_chat(usecases, 1, 2)
    store = Database(db.pool).message_store  # a store of its own: nothing else in its batches

    # the same message twice in one moment: one statement can't insert and update the same row
    first, second = await asyncio.gather(store.store(_text(1, 10), RULES), store.store(_text(1, 10), RULES))

    assert first.chat_id == second.chat_id == chat_id
    assert first.message_id is not None and first.message_id == second.message_id


async def test_a_message_the_database_refuses_fails_alone(usecases: UseCases, db: Database) -> None:
    await members_in_chat(usecases, 1, 2)
    await members_in_chat(usecases, 3, 4)
    store = Database(db.pool).message_store
    refused = StoreRequest(3, 30, MessageContent.text_message("nul \x00 inside"))

    results = await asyncio.gather(
        store.store(_text(1, 10), RULES), store.store(refused, RULES), store.store(_text(2, 20), RULES),
        return_exceptions=True,
    )  # fmt: skip

    assert isinstance(results[1], asyncpg.CharacterNotInRepertoireError)  # text can't hold NUL
    assert all(isinstance(result, StoredMessage) and result.message_id is not None for result in results[::2])


# --- the use case, many senders at once -----------------------------------------------------------


async def test_many_senders_at_once_share_a_statement_and_each_reaches_their_partner(
    usecases: UseCases, monkeypatch: pytest.MonkeyPatch
) -> None:
    chats = {first: await members_in_chat(usecases, first, first + 1) for first in range(1, 41, 2)}
    statements: list[int] = []

    async def counted(connection: Any, requests: list[StoreRequest], rules: StoreRules) -> list[StoredMessage]:
        statements.append(len(requests))
        return await store_messages(connection, requests, rules)

    monkeypatch.setattr(message_store, "store_messages", counted)
    senders = list(range(1, 41))

    results = await asyncio.gather(
        *(usecases.send_message(sender, 1, MessageContent.text_message(f"from {sender}")) for sender in senders)
    )

    assert statements == [40]
    for sender, result in zip(senders, results, strict=True):
        partner = sender + 1 if sender % 2 else sender - 1
        assert isinstance(result, Relay)
        assert (result.chat_id, result.partner_id) == (chats[min(sender, partner)], partner)
        [mine] = [m for m in await usecases.get_chat_history(result.chat_id) if m.sender_id == sender]
        assert (mine.id, mine.content.text) == (result.message_id, f"from {sender}")
