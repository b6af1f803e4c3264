"""The partner-side ids of relayed messages, written in batches."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg

from roulette.storage.repositories import MessageRepository


class RelayedCopies:
    """Remember the partner-side id of a relayed message, for replies and edits.

    Relays that finish in the same turn of the event loop share one UPDATE: under load that is
    one statement for many messages. Each caller still returns only once its id is stored.
    """

    def __init__(self, pool: asyncpg.Pool[Any]) -> None:
        self._pool = pool
        self._pending: list[tuple[int, int]] = []
        self._written: asyncio.Future[None] | None = None

    async def record(self, message_id: int, relayed_message_id: int) -> None:
        self._pending.append((message_id, relayed_message_id))
        if self._written is None:
            loop = asyncio.get_running_loop()
            self._written = loop.create_future()
            loop.call_soon(self._start_write)
        await asyncio.shield(self._written)

    def _start_write(self) -> None:
        copies, written = self._pending, self._written
        self._pending, self._written = [], None
        assert written is not None
        task = asyncio.create_task(self._write(copies))
        task.add_done_callback(lambda done: _settle(written, done))

    async def _write(self, copies: list[tuple[int, int]]) -> None:
        async with self._pool.acquire() as connection:
            await MessageRepository(connection).record_relayed(copies)


def _settle(future: asyncio.Future[None], task: asyncio.Task[None]) -> None:
    if future.done():
        return
    error = None if task.cancelled() else task.exception()
    if task.cancelled():
        future.cancel()
    elif error is not None:
        future.set_exception(error)
    else:
        future.set_result(None)
