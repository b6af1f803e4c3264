"""Use cases of the outbox: claiming what is to be sent after a change, and forgetting what was sent.

Every change that opens or ends a chat, and every album item, writes its outbox row in its own
transaction (see roulette/storage/outbox.py); the bot claims rows, talks to Telegram, then
forgets them. Each step is one statement: a claim is a lease, so a process that dies between
two steps leaves nothing that another process cannot pick up once the lease has passed.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import replace

from roulette.storage.outbox import AlbumFlush
from roulette.storage.outbox import Notice
from roulette.usecases.use_case import UseCase

OVERDUE_BATCH = 100


@dataclass(frozen=True, slots=True)
class ClaimNotices(UseCase):
    """The next notice of each of these users, claimed for the lease: one at a time per user."""

    lease_seconds: float = 30.0

    async def __call__(self, recipients: list[int]) -> list[Notice]:
        async with self.db.statement() as statement:
            return await statement.outbox.claim_notices(recipients, self.lease_seconds)


@dataclass(frozen=True, slots=True)
class ClaimAlbum(UseCase):
    """An album's pending flush with its items still to copy; None if someone else flushes it."""

    lease_seconds: float = 30.0

    async def __call__(self, chat_id: int, sender_id: int, media_group_id: str) -> AlbumFlush | None:
        async with self.db.statement() as statement:
            flush = await statement.outbox.claim_album(chat_id, sender_id, media_group_id, self.lease_seconds)
            if flush is None:
                return None
            return replace(flush, items=await statement.outbox.album_items(flush))


@dataclass(frozen=True, slots=True)
class ClaimOverdue(UseCase):
    """Rows that a process which died left undelivered: notices, and albums with their items."""

    lease_seconds: float = 30.0

    async def __call__(self) -> list[Notice | AlbumFlush]:
        async with self.db.statement() as statement:
            rows = await statement.outbox.claim_overdue(self.lease_seconds, OVERDUE_BATCH)
            return [
                replace(row, items=await statement.outbox.album_items(row)) if isinstance(row, AlbumFlush) else row
                for row in rows
            ]


class ForgetDelivered(UseCase):
    """Notices sent, or that can never be sent: delete them."""

    async def __call__(self, notice_ids: list[int]) -> None:
        async with self.db.statement() as statement:
            await statement.outbox.delete_delivered(notice_ids)


class FinishAlbumFlush(UseCase):
    """The album was copied (or dropped): forget it, unless an item arrived meanwhile."""

    async def __call__(self, flush: AlbumFlush) -> None:
        async with self.db.statement() as statement:
            await statement.outbox.finish_album_flush(flush)
