"""The Unit of Work: one connection, one transaction, rolled back unless committed."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import asyncpg
from asyncpg.pool import PoolConnectionProxy
from asyncpg.transaction import Transaction

from roulette.storage.queries import sql
from roulette.storage.repositories import (
    ChatRepository,
    MessageRepository,
    QueueRepository,
    SafetyRepository,
    UserRepository,
)

_RECORD_UPDATE = sql("record_update")
_WAS_UPDATE_HANDLED = sql("was_update_handled")


@dataclass
class UpdateMark:
    """The Telegram update being handled; its id is committed with the first effect."""

    update_id: int
    recorded: bool = False


# Set by the bot for the duration of one update (see roulette/bot/middlewares.py).
current_update: ContextVar[UpdateMark | None] = ContextVar("current_update", default=None)


class DuplicateUpdate(Exception):
    """This update's effects were committed before: it was delivered twice."""


class _Repositories:
    """The repositories of a unit of work or a single statement, over one pooled connection."""

    users: UserRepository
    queue: QueueRepository
    chats: ChatRepository
    messages: MessageRepository
    safety: SafetyRepository

    def _bind(self, connection: PoolConnectionProxy[Any]) -> None:
        self.users = UserRepository(connection)
        self.queue = QueueRepository(connection)
        self.chats = ChatRepository(connection)
        self.messages = MessageRepository(connection)
        self.safety = SafetyRepository(connection)


class UnitOfWork(_Repositories):
    """`async with uow:` opens a transaction; leaving without `await uow.commit()` rolls it back."""

    def __init__(self, pool: asyncpg.Pool[Any]) -> None:
        self._pool = pool
        self._connection: PoolConnectionProxy[Any] | None = None
        self._transaction: Transaction | None = None
        self._committed = False

    async def __aenter__(self) -> UnitOfWork:
        if self._connection is not None:
            raise RuntimeError("a unit of work is not re-entrant")
        connection = await self._pool.acquire()
        try:
            transaction = connection.transaction()
            await transaction.start()
        except BaseException:
            await self._pool.release(connection)
            raise
        self._connection, self._transaction, self._committed = connection, transaction, False
        self._bind(connection)
        return self

    async def commit(self, *, record_update: bool = True) -> None:
        """Commit; the first commit while handling an update also records the update's id.

        A second delivery of the same update then fails here with DuplicateUpdate and its
        transaction is rolled back, so nothing happens twice. Use cases with a dedupe key of
        their own (the relay stores each message once by its Telegram id) pass
        `record_update=False`.
        """
        if self._transaction is None or self._connection is None:
            raise RuntimeError("commit outside of `async with`")
        mark = current_update.get()
        record = record_update and mark is not None and not mark.recorded
        if record:
            assert mark is not None
            if await self._connection.fetchval(_RECORD_UPDATE, mark.update_id) is None:
                raise DuplicateUpdate(mark.update_id)
        await self._transaction.commit()
        self._committed = True
        if record:
            assert mark is not None
            mark.recorded = True

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        connection, transaction = self._connection, self._transaction
        self._connection = self._transaction = None
        assert connection is not None and transaction is not None
        try:
            if not self._committed and not connection.is_closed():
                await transaction.rollback()
                # Nothing to commit, only an answer to give: unless the update was handled
                # before, in which case it was answered then and the redelivery stays silent.
                mark = current_update.get()
                if exc_type is None and mark is not None and not mark.recorded:
                    if await connection.fetchval(_WAS_UPDATE_HANDLED, mark.update_id):
                        raise DuplicateUpdate(mark.update_id)
        finally:
            await self._pool.release(connection)


class SingleStatement(_Repositories):
    """`async with statement:` — repositories on a pooled connection with no explicit transaction.

    For use cases that run exactly one statement, which is atomic by itself: skipping BEGIN and
    COMMIT saves two of the three round trips, which matters on the relay path. Such a use case
    has its own dedupe key, so it records no update id.
    """

    def __init__(self, pool: asyncpg.Pool[Any]) -> None:
        self._pool = pool
        self._connection: PoolConnectionProxy[Any] | None = None

    async def __aenter__(self) -> SingleStatement:
        if self._connection is not None:
            raise RuntimeError("a single statement is not re-entrant")
        self._connection = await self._pool.acquire()
        self._bind(self._connection)
        return self

    async def __aexit__(self, *_exc: object) -> None:
        connection, self._connection = self._connection, None
        assert connection is not None
        await self._pool.release(connection)


class Database:
    """What use cases need from storage: a fresh Unit of Work (or single statement) per call."""

    def __init__(self, pool: asyncpg.Pool[Any]) -> None:
        self.pool = pool

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.pool)

    def statement(self) -> SingleStatement:
        return SingleStatement(self.pool)
