"""The Unit of Work: one connection, one transaction, rolled back unless committed."""

from __future__ import annotations

from types import TracebackType
from typing import Any

import asyncpg
from asyncpg.pool import PoolConnectionProxy
from asyncpg.transaction import Transaction

from roulette.storage.repositories import (
    ChatRepository,
    MessageRepository,
    QueueRepository,
    SafetyRepository,
    UserRepository,
)


class UnitOfWork:
    """`async with uow:` opens a transaction; leaving without `await uow.commit()` rolls it back."""

    users: UserRepository
    queue: QueueRepository
    chats: ChatRepository
    messages: MessageRepository
    safety: SafetyRepository

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
        self.users = UserRepository(connection)
        self.queue = QueueRepository(connection)
        self.chats = ChatRepository(connection)
        self.messages = MessageRepository(connection)
        self.safety = SafetyRepository(connection)
        return self

    async def commit(self) -> None:
        if self._transaction is None:
            raise RuntimeError("commit outside of `async with`")
        await self._transaction.commit()
        self._committed = True

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
        finally:
            await self._pool.release(connection)


class Database:
    """What use cases need from storage: a fresh Unit of Work per call."""

    def __init__(self, pool: asyncpg.Pool[Any]) -> None:
        self.pool = pool

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.pool)
