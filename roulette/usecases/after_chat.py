"""Use cases after a chat: rating, reporting and blocking the partner."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from datetime import timedelta
from enum import Enum
from enum import auto
from uuid import UUID

from roulette.domain import REVIEW_HOLD_UNTIL
from roulette.domain import ReportReason
from roulette.storage.repositories import ActiveChat
from roulette.usecases.chat import ChatClosed
from roulette.usecases.use_case import UseCase
from roulette.usecases.use_case import now

REPORT_REASONS = tuple(reason.value for reason in ReportReason)


class Refused(Enum):
    """Why rating, reporting or blocking a chat's partner stored nothing."""

    NOT_YOUR_CHAT = auto()
    CHAT_STILL_ACTIVE = auto()  # a chat is rated once it ended
    PARTNER_GONE = auto()  # the partner deleted their data: nothing about them is stored
    ALREADY_RATED = auto()
    ALREADY_REPORTED = auto()


@dataclass(frozen=True, slots=True)
class Reported:
    reported_id: int
    token: UUID  # admins open the report by it
    banned_until: datetime | None  # set when this report crossed the ban threshold
    held: bool = False  # the reason holds the reported user for review
    blocked: bool = False
    # chats that ended: the reporter's (by the block) and the reported user's (by a ban or hold),
    # each with the side whose leaving ended it
    ended: tuple[tuple[ChatClosed, int], ...] = ()


@dataclass(frozen=True, slots=True)
class Blocked:
    blocked_id: int
    ended_chat: ChatClosed | None


@dataclass(frozen=True, slots=True)
class ReportPolicy:
    """K reports from distinct users within a window ban the reported user for a while."""

    threshold: int = 3
    window: timedelta = timedelta(hours=24)
    ban_for: timedelta = timedelta(hours=24)


class RatePartner(UseCase):
    """Like (+1) or dislike (-1) the partner of an ended chat, once per chat; None once stored."""

    async def __call__(self, user_id: int, chat_id: int, value: int) -> Refused | None:
        if value not in (1, -1):
            raise ValueError("a rating is +1 or -1")
        async with self.db.uow() as uow:
            outcome = await uow.safety.rate(chat_id, user_id, value)
            await uow.commit()
        if not outcome.member:
            return Refused.NOT_YOUR_CHAT
        if not outcome.ended:
            return Refused.CHAT_STILL_ACTIVE
        if outcome.partner_deleted:
            return Refused.PARTNER_GONE
        return None if outcome.inserted else Refused.ALREADY_RATED


@dataclass(frozen=True, slots=True)
class ReportPartner(UseCase):
    """Report the other side of a chat, with one of their messages as evidence when given.

    Unless the reporter says otherwise the pair is blocked too (ending the chat if it goes on).
    Enough reports from distinct users ban the reported user for a while; a report that they
    seem underage, or an adult among teens, holds them out of pairing until an admin looked.
    """

    policy: ReportPolicy = field(default_factory=ReportPolicy)

    async def __call__(
        self,
        user_id: int,
        chat_id: int,
        reason: str = "other",
        *,
        evidence_copy_id: int | None = None,
        block: bool = True,
    ) -> Reported | Refused:
        if reason not in REPORT_REASONS:
            raise ValueError(f"unknown report reason {reason!r}")
        at = now()
        async with self.db.uow() as uow:
            # The pairing lock before any row: the block below withdraws the pair's invitations to
            # talk again, which an accept takes after this lock, so the other order could deadlock.
            await uow.queue.lock_queue_changes()
            filed = await uow.safety.report(chat_id, user_id, reason, evidence_copy_id)
            if not filed.member:
                return Refused.NOT_YOUR_CHAT
            if filed.reported_id is None:
                return Refused.PARTNER_GONE
            if filed.report_id is None or filed.token is None:
                return Refused.ALREADY_REPORTED
            reported_id = filed.reported_id
            ended: list[tuple[ChatClosed, int]] = []
            if block:
                await uow.safety.block(chat_id, user_id)
                active = await uow.chats.active_chat_of(user_id)
                if active is not None and (active.chat_id == chat_id or active.partner_id == reported_id):
                    by_block = ChatClosed.of(await uow.chats.end_active_chat_of(user_id, "stop"))
                    if by_block is not None:
                        ended.append((by_block, user_id))
            banned_until = None
            if await uow.safety.count_recent_reporters(reported_id, at - self.policy.window) >= self.policy.threshold:
                banned_until = at + self.policy.ban_for
            held = reason == ReportReason.MINOR
            if banned_until is not None or held:
                reported = await uow.users.get(reported_id)
                current = reported.banned_until if reported is not None else None
                until = REVIEW_HOLD_UNTIL if held else banned_until
                assert until is not None
                if current is None or current < until:  # a report never shortens a ban or a hold
                    await uow.users.set_banned_until(reported_id, until)
                    await uow.queue.dequeue(reported_id)
                    by_ban = ChatClosed.of(await uow.chats.end_active_chat_of(reported_id, "banned"))
                    if by_ban is not None:
                        ended.append((by_ban, reported_id))
                else:
                    banned_until = None
            await uow.commit()
        return Reported(reported_id, filed.token, banned_until, held, block, tuple(ended))


class FindReportable(UseCase):
    """The id of the chat a `/report` is about: the one the replied-to partner's message came from,
    else the user's current chat; None when there is none."""

    async def __call__(self, user_id: int, replied_copy_id: int | None) -> int | None:
        async with self.db.uow() as uow:
            if replied_copy_id is not None:
                chat_id = await uow.safety.reportable_chat(user_id, replied_copy_id)
            else:
                active = await uow.chats.active_chat_of(user_id)
                chat_id = active.chat_id if active is not None else None
        return chat_id


class BlockPartner(UseCase):
    """Never pair the user with this chat's partner again; ends the chat if still active, or a
    chat with them opened again since (an accept that raced the block)."""

    async def __call__(self, user_id: int, chat_id: int) -> Blocked | Refused:
        async with self.db.uow() as uow:
            # The pairing lock first, as bans, reports and deletions take it: a search under way
            # pairs before the block or sees it, and a /deleteme of the partner at the same instant
            # goes wholly before or after (each would otherwise lock rows the other needs next).
            await uow.queue.lock_queue_changes()
            outcome = await uow.safety.block(chat_id, user_id)
            if not outcome.member:
                return Refused.NOT_YOUR_CHAT
            if outcome.blocked_id is None:
                return Refused.PARTNER_GONE
            ended: ActiveChat | None = None
            active = await uow.chats.active_chat_of(user_id)
            if active is not None and (active.chat_id == chat_id or active.partner_id == outcome.blocked_id):
                ended = await uow.chats.end_active_chat_of(user_id, "stop")
            await uow.commit()
        return Blocked(outcome.blocked_id, ChatClosed.of(ended))
