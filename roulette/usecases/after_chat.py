"""Use cases after a chat: rating, reporting and blocking the partner."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from roulette.storage.repositories import ActiveChat
from roulette.usecases.chat import ChatClosed
from roulette.usecases.use_case import UseCase, now

REPORT_REASONS = ("spam", "abuse", "minor", "other")


@dataclass(frozen=True, slots=True)
class Rated:
    pass


@dataclass(frozen=True, slots=True)
class AlreadyRated:
    pass


@dataclass(frozen=True, slots=True)
class NotYourChat:
    pass


@dataclass(frozen=True, slots=True)
class ChatStillActive:
    pass


RateResult = Rated | AlreadyRated | NotYourChat | ChatStillActive


@dataclass(frozen=True, slots=True)
class Reported:
    reported_id: int
    banned_until: datetime | None  # set when this report crossed the ban threshold
    ended_chat: ChatClosed | None = None  # the banned user's chat, ended by the ban


@dataclass(frozen=True, slots=True)
class AlreadyReported:
    pass


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
    """Like (+1) or dislike (-1) the partner of an ended chat, once per chat."""

    async def __call__(self, user_id: int, chat_id: int, value: int) -> RateResult:
        if value not in (1, -1):
            raise ValueError("a rating is +1 or -1")
        async with self.db.uow() as uow:
            outcome = await uow.safety.rate(chat_id, user_id, value)
            await uow.commit()
        if not outcome.member:
            return NotYourChat()
        if not outcome.ended:
            return ChatStillActive()
        return Rated() if outcome.inserted else AlreadyRated()


@dataclass(frozen=True, slots=True)
class ReportPartner(UseCase):
    policy: ReportPolicy = field(default_factory=ReportPolicy)

    async def __call__(
        self, user_id: int, chat_id: int, reason: str = "other"
    ) -> Reported | AlreadyReported | NotYourChat:
        if reason not in REPORT_REASONS:
            raise ValueError(f"unknown report reason {reason!r}")
        at = now()
        async with self.db.uow() as uow:
            reported_id, report_id = await uow.safety.report(chat_id, user_id, reason)
            if reported_id is None:
                return NotYourChat()
            if report_id is None:
                return AlreadyReported()
            banned_until = None
            ended: ActiveChat | None = None
            reporters = await uow.safety.count_recent_reporters(reported_id, at - self.policy.window)
            if reporters >= self.policy.threshold:
                banned_until = at + self.policy.ban_for
                await uow.queue.lock_queue_changes()
                await uow.users.set_banned_until(reported_id, banned_until)
                await uow.queue.dequeue(reported_id)
                ended = await uow.chats.end_active_chat_of(reported_id, "banned")
            await uow.commit()
        return Reported(reported_id, banned_until, ChatClosed.of(ended))


class BlockPartner(UseCase):
    """Never pair the user with this chat's partner again; ends the chat if still active."""

    async def __call__(self, user_id: int, chat_id: int) -> Blocked | NotYourChat:
        async with self.db.uow() as uow:
            blocked_id, _ = await uow.safety.block(chat_id, user_id)
            if blocked_id is None:
                return NotYourChat()
            ended: ActiveChat | None = None
            active = await uow.chats.active_chat_of(user_id)
            if active is not None and active.chat_id == chat_id:
                ended = await uow.chats.end_active_chat_of(user_id, "stop")
            await uow.commit()
        return Blocked(blocked_id, ChatClosed.of(ended))
