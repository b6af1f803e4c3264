"""Use cases of running the service: bans, a user blocking the bot, history, figures, the admins'
report queue (every look written to the audit log), retention."""

from __future__ import annotations

import time
from collections.abc import Awaitable
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from datetime import timedelta
from enum import Enum
from enum import auto
from uuid import UUID

from roulette.domain import Message
from roulette.domain import ReportReason
from roulette.domain import User
from roulette.storage.moderation import EvidenceMessage
from roulette.storage.moderation import QueuedReport
from roulette.storage.safety import Stats
from roulette.storage.uow import SingleStatement
from roulette.usecases.account import UserNotFound
from roulette.usecases.chat import ChatClosed
from roulette.usecases.use_case import UseCase
from roulette.usecases.use_case import now


class BanUser(UseCase):
    """An admin bans a user for a while (ending their chat and search), or lifts a ban with
    `duration=None`; written to the audit log."""

    async def __call__(
        self, admin_id: int, user_id: int, duration: timedelta | None
    ) -> tuple[User, ChatClosed | None] | UserNotFound:
        until = now() + duration if duration is not None else None
        async with self.db.uow() as uow:
            if until is not None:
                await uow.queue.lock_queue_changes()
            user = await uow.users.set_banned_until(user_id, until)
            if user is None:
                return UserNotFound(user_id)
            await uow.moderation.audit(admin_id, "ban" if until is not None else "unban", target_user_id=user_id)
            ended = None
            if until is not None:
                await uow.queue.dequeue(user_id)
                ended = await uow.chats.end_active_chat_of(user_id, "banned")
            await uow.commit()
        return user, ChatClosed.of(ended)


class SetBotBlocked(UseCase):
    """The user blocked the bot (their chat ends, search stops) or unblocked it; the chat it ended."""

    async def __call__(self, user_id: int, blocked: bool) -> ChatClosed | None:
        async with self.db.uow() as uow:
            await uow.users.set_bot_blocked(user_id, blocked)
            ended = None
            if blocked:
                await uow.queue.lock_queue_changes()
                await uow.queue.dequeue(user_id)
                ended = await uow.chats.end_active_chat_of(user_id, "bot_blocked")
            await uow.commit()
        return ChatClosed.of(ended)


class GetChatHistory(UseCase):
    """A chat's messages in order, for moderation."""

    async def __call__(self, chat_id: int) -> list[Message]:
        async with self.db.uow() as uow:
            return await uow.messages.history(chat_id)


class GetStats(UseCase):
    async def __call__(self, admin_id: int | None = None) -> Stats:
        """The figures; an admin's look (`admin_id`) is written to the audit log."""
        async with self.db.uow() as uow:
            stats = await uow.safety.stats()
            if admin_id is None:
                return stats
            await uow.moderation.audit(admin_id, "stats")
            await uow.commit()
        return stats


# --- the admins' report queue: reported chats only, every look written to the audit log ------

REPORT_QUEUE_LIMIT = 20


class ReportUnavailable(Enum):
    NOT_FOUND = auto()
    ALREADY_CLOSED = auto()


@dataclass(frozen=True, slots=True)
class ReportView:
    """A report as an admin sees it: no user ids, the sides labelled by `by_reported`."""

    token: UUID
    reason: ReportReason
    created_at: datetime
    closed: str | None  # the resolution, once closed
    reported_banned_until: datetime | None
    messages: list[EvidenceMessage]


@dataclass(frozen=True, slots=True)
class ReportClosed:
    lifted: bool


class ListReports(UseCase):
    async def __call__(self, admin_id: int) -> list[QueuedReport]:
        async with self.db.uow() as uow:
            reports = await uow.moderation.open_reports(REPORT_QUEUE_LIMIT)
            await uow.moderation.audit(admin_id, "list_reports")
            await uow.commit()
        return reports


class OpenReport(UseCase):
    async def __call__(self, admin_id: int, token: UUID) -> ReportView | ReportUnavailable:
        async with self.db.uow() as uow:
            report = await uow.moderation.report(token)
            if report is None:
                return ReportUnavailable.NOT_FOUND
            messages = await uow.moderation.evidence(report.id)
            await uow.moderation.audit(admin_id, "open_report", report_id=report.id)
            await uow.commit()
        return ReportView(
            token, report.reason, report.created_at, report.resolution, report.reported_banned_until, messages
        )


class RevealReported(UseCase):
    """The reported user's Telegram id, which an admin needs to ban them; the reveal is logged."""

    async def __call__(self, admin_id: int, token: UUID) -> int | ReportUnavailable:
        async with self.db.uow() as uow:
            report = await uow.moderation.report(token)
            if report is None:
                return ReportUnavailable.NOT_FOUND
            await uow.moderation.audit(admin_id, "reveal", report_id=report.id, target_user_id=report.reported_id)
            await uow.commit()
        return report.reported_id


class CloseReport(UseCase):
    """Close a report, keeping the reported user's ban (or hold) or lifting it."""

    async def __call__(self, admin_id: int, token: UUID, *, lift: bool) -> ReportClosed | ReportUnavailable:
        async with self.db.uow() as uow:
            closed = await uow.moderation.close(token, "ban_lifted" if lift else "ban_kept", admin_id)
            if closed is None:
                missing = await uow.moderation.report(token) is None
                return ReportUnavailable.NOT_FOUND if missing else ReportUnavailable.ALREADY_CLOSED
            report_id, reported_id = closed
            if lift:
                await uow.users.set_banned_until(reported_id, None)
            await uow.moderation.audit(admin_id, "close_report", report_id=report_id)
            await uow.commit()
        return ReportClosed(lift)


# --- retention ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    """How long what is kept: messages after their chat ended, chats (who talked with whom) after
    they ended; an open report keeps both. The purge works in batches of `batch` rows."""

    message_hours: int = 24
    chat_days: int = 30
    batch: int = 1000


@dataclass(frozen=True, slots=True)
class Purged:
    messages: int
    chats: int
    updates: int
    batches: int
    longest_batch_seconds: float
    invitations: int = 0  # invitations to talk again, once expired


@dataclass(frozen=True, slots=True)
class PurgeExpired(UseCase):
    """Delete what is past retention, one bounded batch per statement until nothing is left.

    Each batch is a statement of its own, committed at once: the purge never holds many row locks
    or an old snapshot, however much is due. Several processes purging at once share the work.
    """

    policy: RetentionPolicy = field(default_factory=RetentionPolicy)

    async def __call__(self) -> Purged:
        policy = self.policy
        messages = chats = batches = 0
        longest = 0.0
        while True:
            started = time.perf_counter()
            async with self.db.statement() as statement:
                batch = await statement.retention.purge_messages(policy.message_hours, policy.batch)
            longest, batches = max(longest, time.perf_counter() - started), batches + 1
            messages += batch.messages
            if batch.messages == 0 and batch.chats_done == 0:
                break
        while True:
            started = time.perf_counter()
            async with self.db.statement() as statement:
                deleted = await statement.retention.purge_chats(policy.chat_days, policy.batch)
            longest, batches = max(longest, time.perf_counter() - started), batches + 1
            chats += deleted
            if deleted < policy.batch:
                break
        updates = await self._until_done(lambda statement: statement.retention.purge_processed_updates(policy.batch))
        invitations = await self._until_done(lambda statement: statement.reconnect.purge_expired(policy.batch))
        return Purged(messages, chats, updates, batches, longest, invitations)

    async def _until_done(self, purge: Callable[[SingleStatement], Awaitable[int]]) -> int:
        """Run batch after batch, each its own statement, until one deletes less than a full batch."""
        total = 0
        while True:
            async with self.db.statement() as statement:
                deleted = await purge(statement)
            total += deleted
            if deleted < self.policy.batch:
                return total
