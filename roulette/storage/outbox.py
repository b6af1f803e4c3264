"""The outbox: notices and album flushes written with the change they follow, delivered after it.

Rows are claimed for a lease before they are sent and deleted once sent; a row whose claim
expired, or that nobody claimed within the lease, is claimed again by any process. So every row
is delivered at least once, even across a crash (see docs/reliability.md).
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from dataclasses import field
from typing import TYPE_CHECKING
from typing import Any
from typing import TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from roulette.storage.queries import sql

if TYPE_CHECKING:
    Connection: TypeAlias = asyncpg.Connection[Any] | PoolConnectionProxy[Any]

_CLAIM_NOTICES = sql("claim_notices")
_CLAIM_OVERDUE_OUTBOX = sql("claim_overdue_outbox")
_CLAIM_ALBUM = sql("claim_album")
_ALBUM_ITEMS = sql("album_items")
_DELETE_DELIVERED = sql("delete_delivered")
_FINISH_ALBUM_FLUSH = sql("finish_album_flush")


class NoticeKind(enum.StrEnum):
    PARTNER_FOUND = "partner_found"
    PARTNER_LEFT = "partner_left"
    YOU_LEFT = "you_left"
    RECONNECT_INVITE = "reconnect_invite"  # details: the invitation's token
    RECONNECT_DECLINED = "reconnect_declined"


@dataclass(frozen=True, slots=True)
class Notice:
    """A notice to one user about their chat; `details` holds what a partner_found notice shows."""

    id: int
    kind: NoticeKind
    recipient_id: int
    chat_id: int
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AlbumFlush:
    """A claimed album: its items not yet copied ((stored message id, source message id), in order)."""

    id: int
    version: int
    recipient_id: int
    chat_id: int
    sender_id: int
    media_group_id: str
    items: tuple[tuple[int, int], ...] = ()


def _row(record: asyncpg.Record) -> Notice | AlbumFlush:
    if record["kind"] == "album":
        return AlbumFlush(
            record["id"],
            record["version"],
            record["recipient_id"],
            record["chat_id"],
            record["sender_id"],
            record["media_group_id"],
        )
    details = record["details"]
    return Notice(
        record["id"],
        NoticeKind(record["kind"]),
        record["recipient_id"],
        record["chat_id"],
        json.loads(details) if isinstance(details, str) else dict(details),
    )


class OutboxRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def claim_notices(self, recipients: list[int], lease_seconds: float) -> list[Notice]:
        """The oldest undelivered notice of each of these users, claimed for the lease."""
        records = await self._connection.fetch(_CLAIM_NOTICES, recipients, lease_seconds)
        return [row for row in map(_row, records) if isinstance(row, Notice)]

    async def claim_overdue(self, lease_seconds: float, limit: int) -> list[Notice | AlbumFlush]:
        """Rows nobody delivered in time (their process died), claimed for the lease."""
        return [_row(record) for record in await self._connection.fetch(_CLAIM_OVERDUE_OUTBOX, lease_seconds, limit)]

    async def claim_album(
        self, chat_id: int, sender_id: int, media_group_id: str, lease_seconds: float
    ) -> AlbumFlush | None:
        """The album's pending flush, claimed for the lease; None if there is none to claim."""
        record = await self._connection.fetchrow(_CLAIM_ALBUM, chat_id, sender_id, media_group_id, lease_seconds)
        row = _row(record) if record is not None else None
        return row if isinstance(row, AlbumFlush) else None

    async def album_items(self, flush: AlbumFlush) -> tuple[tuple[int, int], ...]:
        """The album's items still to copy; none once its chat has ended."""
        records = await self._connection.fetch(_ALBUM_ITEMS, flush.chat_id, flush.sender_id, flush.media_group_id)
        return tuple((record["id"], record["source_message_id"]) for record in records)

    async def delete_delivered(self, ids: list[int]) -> None:
        await self._connection.execute(_DELETE_DELIVERED, ids)

    async def finish_album_flush(self, flush: AlbumFlush) -> None:
        """Forget the flush, or release it if an item arrived meanwhile."""
        await self._connection.execute(_FINISH_ALBUM_FLUSH, flush.id, flush.version)
