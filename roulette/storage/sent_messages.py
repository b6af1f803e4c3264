"""What users do to messages already relayed: react to a partner's copy."""

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


@dataclass(frozen=True, slots=True)
class ReactedMessage:
    partner_id: int | None  # None: the user who reacted is not in a chat
    flooded: bool  # over the flood limit: nothing counted
    message_id: int | None  # the original in the partner's chat; None: no copy of theirs in this chat


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
