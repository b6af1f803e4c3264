"""Ratings, reports, blocks and the admins' figures: what users do about each other."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from typing import Any
from typing import TypeAlias
from uuid import UUID

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from roulette.storage.queries import sql

if TYPE_CHECKING:
    Connection: TypeAlias = asyncpg.Connection[Any] | PoolConnectionProxy[Any]

_RATE_PARTNER = sql("rate_partner")
_REPORT_PARTNER = sql("report_partner")
_COUNT_RECENT_REPORTERS = sql("count_recent_reporters")
_BLOCK_PARTNER = sql("block_partner")
_FIND_REPORTABLE_MESSAGE = sql("find_reportable_message")
_STATS = sql("stats")


@dataclass(frozen=True, slots=True)
class RatingOutcome:
    member: bool
    ended: bool
    inserted: bool
    partner_deleted: bool


@dataclass(frozen=True, slots=True)
class ReportOutcome:
    member: bool  # the reporter was in the chat
    reported_id: int | None  # None: the partner deleted their data, nothing was filed
    report_id: int | None  # None: nothing new was filed (filed before, or nobody to report)
    token: UUID | None  # what admins open the new report by


@dataclass(frozen=True, slots=True)
class BlockOutcome:
    member: bool  # the blocker was in the chat
    blocked_id: int | None  # None: the partner deleted their data, nothing was blocked


@dataclass(frozen=True, slots=True)
class Stats:
    users: int
    active_chats: int
    searching: int
    messages_24h: int
    new_users_24h: int
    open_reports: int


class SafetyRepository:
    """Ratings, reports, blocks and figures."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def rate(self, chat_id: int, rater_id: int, value: int) -> RatingOutcome:
        """Rate the other side of an ended chat once; reputation moves in the same statement."""
        record = await self._connection.fetchrow(_RATE_PARTNER, chat_id, rater_id, value)
        assert record is not None
        return RatingOutcome(record["member"], record["ended"], record["inserted"], record["partner_deleted"])

    async def report(
        self, chat_id: int, reporter_id: int, reason: str, evidence_copy_id: int | None = None
    ) -> ReportOutcome:
        """File a report about the other side of the chat; the evidence is named by the id of the
        copy the reporter received."""
        record = await self._connection.fetchrow(_REPORT_PARTNER, chat_id, reporter_id, reason, evidence_copy_id)
        assert record is not None
        return ReportOutcome(record["member"], record["reported_id"], record["report_id"], record["token"])

    async def count_recent_reporters(self, user_id: int, since: datetime) -> int:
        """Distinct users with an open report about `user_id` since `since`."""
        count: int = await self._connection.fetchval(_COUNT_RECENT_REPORTERS, user_id, since)
        return count

    async def block(self, chat_id: int, blocker_id: int) -> BlockOutcome:
        """Never pair the blocker with the other side of the chat again."""
        record = await self._connection.fetchrow(_BLOCK_PARTNER, chat_id, blocker_id)
        assert record is not None
        return BlockOutcome(record["member"], record["blocked_id"])

    async def reportable_chat(self, reporter_id: int, copy_id: int) -> int | None:
        """The chat in which the reporter received this copy of a partner's message."""
        chat_id: int | None = await self._connection.fetchval(_FIND_REPORTABLE_MESSAGE, reporter_id, copy_id)
        return chat_id

    async def stats(self) -> Stats:
        """Figures for the admins."""
        record = await self._connection.fetchrow(_STATS)
        assert record is not None
        return Stats(**dict(record))
