"""Repositories for the admins' side of reports, their audit log, and the retention purge."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from typing import Any
from typing import TypeAlias
from uuid import UUID

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from roulette.domain import MessageKind
from roulette.domain import ReportReason
from roulette.storage.queries import sql

if TYPE_CHECKING:
    Connection: TypeAlias = asyncpg.Connection[Any] | PoolConnectionProxy[Any]

_LIST_OPEN_REPORTS = sql("list_open_reports")
_GET_REPORT = sql("get_report")
_REPORT_MESSAGES = sql("report_messages")
_REPORT_MESSAGE_VERSIONS = sql("report_message_versions")
_CLOSE_REPORT = sql("close_report")
_RECORD_ADMIN_ACTION = sql("record_admin_action")
_PURGE_EXPIRED_MESSAGES = sql("purge_expired_messages")
_PURGE_EXPIRED_CHATS = sql("purge_expired_chats")
_PURGE_PROCESSED_UPDATES = sql("purge_processed_updates")


@dataclass(frozen=True, slots=True)
class QueuedReport:
    """A line of the admins' queue: nothing in it names a user."""

    token: UUID
    reason: ReportReason
    created_at: datetime
    has_evidence: bool


@dataclass(frozen=True, slots=True)
class ReportRecord:
    id: int
    chat_id: int
    reporter_id: int | None  # None: the reporter deleted their data
    reported_id: int
    reason: ReportReason
    created_at: datetime
    resolved_at: datetime | None
    resolution: str | None
    reported_banned_until: datetime | None


@dataclass(frozen=True, slots=True)
class Version:
    text: str | None
    caption: str | None
    written_at: datetime


@dataclass(frozen=True, slots=True)
class EvidenceMessage:
    """A message of a reported chat: who sent it (the reported user or the reporter), every
    version oldest first (more than one: it was edited), and whether the report names it."""

    by_reported: bool
    kind: MessageKind
    versions: tuple[Version, ...]
    evidence: bool
    unsent_at: datetime | None = None  # the sender unsent it: the partner saw it until then

    @property
    def edited(self) -> bool:
        return len(self.versions) > 1


class ModerationRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def open_reports(self, limit: int) -> list[QueuedReport]:
        """The open reports, oldest first."""
        return [
            QueuedReport(record["token"], ReportReason(record["reason"]), record["created_at"], record["has_evidence"])
            for record in await self._connection.fetch(_LIST_OPEN_REPORTS, limit)
        ]

    async def report(self, token: UUID) -> ReportRecord | None:
        """One report by its token."""
        record = await self._connection.fetchrow(_GET_REPORT, token)
        if record is None:
            return None
        return ReportRecord(
            id=record["id"],
            chat_id=record["chat_id"],
            reporter_id=record["reporter_id"],
            reported_id=record["reported_id"],
            reason=ReportReason(record["reason"]),
            created_at=record["created_at"],
            resolved_at=record["resolved_at"],
            resolution=record["resolution"],
            reported_banned_until=record["banned_until"],
        )

    async def evidence(self, report_id: int) -> list[EvidenceMessage]:
        """The reported chat's messages in order, each with all its versions."""
        earlier: dict[int, list[Version]] = {}
        for record in await self._connection.fetch(_REPORT_MESSAGE_VERSIONS, report_id):
            earlier.setdefault(record["message_id"], []).append(
                Version(record["text"], record["caption"], record["written_at"])
            )
        messages = []
        for record in await self._connection.fetch(_REPORT_MESSAGES, report_id):
            latest = Version(record["text"], record["caption"], record["edited_at"] or record["created_at"])
            messages.append(
                EvidenceMessage(
                    by_reported=record["by_reported"],
                    kind=MessageKind(record["kind"]),
                    versions=(*earlier.get(record["id"], ()), latest),
                    evidence=record["evidence"],
                    unsent_at=record["deleted_at"],
                )
            )
        return messages

    async def close(self, token: UUID, resolution: str, admin_id: int) -> tuple[int, int] | None:
        """Close an open report: (report id, reported user id), or None if it was closed already."""
        record = await self._connection.fetchrow(_CLOSE_REPORT, token, resolution, admin_id)
        return (record["id"], record["reported_id"]) if record is not None else None

    async def audit(
        self, admin_id: int, action: str, *, report_id: int | None = None, target_user_id: int | None = None
    ) -> None:
        """Write an admin's view or action to the audit log."""
        await self._connection.execute(_RECORD_ADMIN_ACTION, admin_id, action, report_id, target_user_id)


@dataclass(frozen=True, slots=True)
class PurgeBatch:
    messages: int
    chats_done: int


class RetentionRepository:
    """The purge, one bounded batch per call: the caller repeats until a batch finds nothing."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def purge_messages(self, retention_hours: int, batch: int) -> PurgeBatch:
        """Messages of chats that ended more than `retention_hours` ago, unless under review."""
        record = await self._connection.fetchrow(_PURGE_EXPIRED_MESSAGES, retention_hours, batch)
        assert record is not None
        return PurgeBatch(record["messages"], record["chats"])

    async def purge_chats(self, retention_days: int, batch: int) -> int:
        """Chats (who talked with whom) that ended more than `retention_days` ago, unless under review."""
        return len(await self._connection.fetch(_PURGE_EXPIRED_CHATS, retention_days, batch))

    async def purge_processed_updates(self, batch: int) -> int:
        """Update ids older than a day."""
        return len(await self._connection.fetch(_PURGE_PROCESSED_UPDATES, batch))
