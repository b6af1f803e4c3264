"""The Unit of Work: one connection, one transaction, rolled back unless committed."""

from __future__ import annotations

from types import TracebackType
from typing import Any

import asyncpg
from asyncpg.pool import PoolConnectionProxy
from asyncpg.transaction import Transaction

from roulette.storage import exactly_once
from roulette.storage.message_store import MessageStore
from roulette.storage.moderation import ModerationRepository
from roulette.storage.moderation import RetentionRepository
from roulette.storage.outbox import OutboxRepository
from roulette.storage.reconnect import ReconnectRepository
from roulette.storage.relayed_copies import RelayedCopies
from roulette.storage.repositories import ChatRepository
from roulette.storage.repositories import MessageRepository
from roulette.storage.repositories import QueueRepository
from roulette.storage.repositories import UserRepository
from roulette.storage.safety import SafetyRepository
from roulette.storage.sent_messages import SentMessageRepository
from roulette.storage.waiting import WaitingRepository


class _Repositories:
    """The repositories of a unit of work or a single statement, over one pooled connection."""

    users: UserRepository
    queue: QueueRepository
    chats: ChatRepository
    messages: MessageRepository
    sent_messages: SentMessageRepository
    safety: SafetyRepository
    outbox: OutboxRepository
    moderation: ModerationRepository
    retention: RetentionRepository
    waiting: WaitingRepository
    reconnect: ReconnectRepository

    def _bind(self, connection: PoolConnectionProxy[Any]) -> None:
        self.users = UserRepository(connection)
        self.queue = QueueRepository(connection)
        self.chats = ChatRepository(connection)
        self.messages = MessageRepository(connection)
        self.sent_messages = SentMessageRepository(connection)
        self.safety = SafetyRepository(connection)
        self.outbox = OutboxRepository(connection)
        self.moderation = ModerationRepository(connection)
        self.retention = RetentionRepository(connection)
        self.waiting = WaitingRepository(connection)
        self.reconnect = ReconnectRepository(connection)


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

    async def commit(self) -> None:
        """Commit; while handling an update, the first commit also records it (see exactly_once)."""
        if self._transaction is None or self._connection is None:
            raise RuntimeError("commit outside of `async with`")
        await exactly_once.commit_recording_update(self._connection, self._transaction)
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
                if exc_type is None:
                    await exactly_once.refuse_if_handled_before(connection)
        finally:
            await self._pool.release(connection)


class SingleStatement(_Repositories):
    """`async with statement:` — repositories on a pooled connection with no explicit transaction.

    For use cases that run exactly one statement, which is atomic by itself: skipping BEGIN and
    COMMIT saves two of the three round trips, which matters on the relay path. Such a use case
    has its own dedupe key, or its statement records the update itself (see exactly_once).
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
        self.message_store = MessageStore(pool)
        self.relayed_copies = RelayedCopies(pool)

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.pool)

    def statement(self) -> SingleStatement:
        return SingleStatement(self.pool)
