"""The partner-side ids of relayed messages, written in batches."""

from __future__ import annotations

from typing import Any

import asyncpg

from roulette.storage.batches import Batches
from roulette.storage.repositories import MessageRepository


class RelayedCopies:
    """Remember the partner-side id of a relayed message, for replies and edits.

    Relays that finish in the same turn of the event loop share one UPDATE: under load that is
    one statement for many messages. Each caller still returns only once its id is stored.
    """

    def __init__(self, pool: asyncpg.Pool[Any]) -> None:
        self._pool = pool
        self._batches: Batches[None, tuple[int, int], None] = Batches(self._write)

    async def record(self, message_id: int, relayed_message_id: int) -> None:
        await self._batches.submit(None, (message_id, relayed_message_id))

    async def _write(self, _key: None, copies: list[tuple[int, int]]) -> list[None]:
        async with self._pool.acquire() as connection:
            await MessageRepository(connection).record_relayed(copies)
        return [None] * len(copies)
