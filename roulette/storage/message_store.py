"""Storing chat messages on the relay path: those that arrive in the same moment share a statement."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import Any

import asyncpg

from roulette.domain import MediaDelivery
from roulette.domain import MessageContent
from roulette.storage.batches import Batches
from roulette.storage.queries import sql
from roulette.storage.repositories import media_of

if TYPE_CHECKING:
    from roulette.storage.repositories import Connection

_STORE_MESSAGES = sql("store_messages")


@dataclass(frozen=True, slots=True)
class StoreRequest:
    sender_id: int
    source_message_id: int
    content: MessageContent
    media_group_id: str | None = None
    reply_to_source_id: int | None = None  # the message in the sender's chat it replies to


@dataclass(frozen=True, slots=True)
class StoreRules:
    """What every message of one statement is checked against."""

    flood_limit: int
    flood_window_seconds: float
    fsm_bot_id: int = 0  # whose FSM states to read; 0 with no states
    input_states: tuple[str, ...] = ()  # the states whose question a message may answer instead


@dataclass(frozen=True, slots=True)
class StoredMessage:
    awaiting_input: str | None  # set: the message answers a question of the bot; nothing stored
    chat_id: int | None  # None: the sender is not in a chat
    partner_id: int | None
    partner_media: MediaDelivery | None  # the partner's own choice; None: the default for their age
    partner_age: int | None
    message_id: int | None  # None: nothing stored (not in a chat, awaiting input, or flood guard)
    flooded: bool
    relayed_message_id: int | None  # set: this message was stored and relayed before
    reply_to_message_id: int | None  # in the partner's chat


class MessageStore:
    """Store a message in its sender's active chat, unless it answers a question of the bot.

    Messages stored in the same turn of the event loop under the same rules go in one statement
    (roulette/storage/batches.py, sql/store_messages.sql); each caller gets its own message's
    result once that statement has committed.
    """

    def __init__(self, pool: asyncpg.Pool[Any]) -> None:
        self._pool = pool
        self._batches: Batches[StoreRules, StoreRequest, StoredMessage] = Batches(self._store_batch)

    async def store(self, request: StoreRequest, rules: StoreRules) -> StoredMessage:
        return await self._batches.submit(rules, request)

    async def _store_batch(self, rules: StoreRules, requests: list[StoreRequest]) -> list[StoredMessage]:
        async with self._pool.acquire() as connection:
            return await store_messages(connection, requests, rules)


async def store_messages(
    connection: Connection, requests: list[StoreRequest], rules: StoreRules
) -> list[StoredMessage]:
    """Store several messages, of different senders, in one statement; one result each, in order."""
    records = await connection.fetch(
        _STORE_MESSAGES,
        [request.sender_id for request in requests],
        [request.source_message_id for request in requests],
        [request.content.kind.value for request in requests],
        [request.content.text for request in requests],
        [request.content.caption for request in requests],
        [request.content.file_id for request in requests],
        [request.media_group_id for request in requests],
        [request.reply_to_source_id for request in requests],
        rules.flood_limit,
        rules.flood_window_seconds,
        rules.fsm_bot_id,
        list(rules.input_states),
    )
    return [
        StoredMessage(
            awaiting_input=record["awaiting_input"],
            chat_id=record["chat_id"],
            partner_id=record["partner_id"],
            partner_media=media_of(record["partner_media"]),
            partner_age=record["partner_age"],
            message_id=record["message_id"],
            flooded=record["flooded"],
            relayed_message_id=record["relayed_message_id"],
            reply_to_message_id=record["reply_to_message_id"],
        )
        for record in records
    ]
