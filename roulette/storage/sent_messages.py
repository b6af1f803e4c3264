"""What users do to messages already relayed: react to a partner's copy, unsend their own."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import Any
from typing import TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from roulette.storage.queries import sql

if TYPE_CHECKING:
    Connection: TypeAlias = asyncpg.Connection[Any] | PoolConnectionProxy[Any]

_FIND_REACTED_MESSAGE = sql("find_reacted_message")
_UNSEND_MESSAGE = sql("unsend_message")


@dataclass(frozen=True, slots=True)
class ReactedMessage:
    partner_id: int | None  # None: the user who reacted is not in a chat
    flooded: bool  # over the flood limit: nothing counted
    message_id: int | None  # the original in the partner's chat; None: no copy of theirs in this chat


@dataclass(frozen=True, slots=True)
class UnsendOutcome:
    chat_id: int | None  # None: the sender is not in a chat
    partner_id: int | None
    message_id: int | None  # None: no such message of the sender in the chat going on
    source_message_id: int | None  # its id in the sender's chat
    relayed_message_id: int | None  # the partner's copy; None: not copied (yet)
    already_unsent: bool
    too_old: bool  # older than Telegram lets a bot delete
    unsent: bool  # marked deleted now


class SentMessageRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def find_reacted(
        self, user_id: int, message_id: int, flood_limit: int, flood_window_seconds: float
    ) -> ReactedMessage:
        """The partner's original behind the copy a user reacted to (the reaction counts against
        the flood guard)."""
        record = await self._connection.fetchrow(
            _FIND_REACTED_MESSAGE, user_id, message_id, flood_limit, flood_window_seconds
        )
        assert record is not None
        return ReactedMessage(record["partner_id"], record["flooded"], record["message_id"])

    async def unsend(self, sender_id: int, message_id: int | None, deletable_seconds: float) -> UnsendOutcome:
        """Mark the sender's message (their last one in the chat when `message_id` is None) as
        unsent, if its copy can still be deleted; say why not otherwise."""
        record = await self._connection.fetchrow(_UNSEND_MESSAGE, sender_id, message_id, deletable_seconds)
        assert record is not None
        return UnsendOutcome(
            chat_id=record["chat_id"],
            partner_id=record["partner_id"],
            message_id=record["message_id"],
            source_message_id=record["source_message_id"],
            relayed_message_id=record["relayed_message_id"],
            already_unsent=bool(record["already_unsent"]),
            too_old=bool(record["too_old"]),
            unsent=record["unsent"],
        )
