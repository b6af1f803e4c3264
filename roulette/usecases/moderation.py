"""Use cases of running the service: bans, a user blocking the bot, history, figures, retention."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from roulette.domain import Message, User
from roulette.storage.repositories import Stats
from roulette.usecases.account import UserNotFound
from roulette.usecases.chat import ChatClosed, NoChat
from roulette.usecases.use_case import UseCase, now


class BanUser(UseCase):
    """Ban for a while (ending the user's chat and search), or lift a ban with `duration=None`."""

    async def __call__(self, user_id: int, duration: timedelta | None) -> tuple[User, ChatClosed | None] | UserNotFound:
        until = now() + duration if duration is not None else None
        async with self.db.uow() as uow:
            if until is not None:
                await uow.queue.lock_queue_changes()
            user = await uow.users.set_banned_until(user_id, until)
            if user is None:
                return UserNotFound(user_id)
            ended = None
            if until is not None:
                await uow.queue.dequeue(user_id)
                ended = await uow.chats.end_active_chat_of(user_id, "banned")
            await uow.commit()
        return user, ChatClosed.of(ended)


class SetBotBlocked(UseCase):
    """The user blocked the bot (their chat ends, search stops) or unblocked it."""

    async def __call__(self, user_id: int, blocked: bool) -> ChatClosed | NoChat:
        async with self.db.uow() as uow:
            await uow.users.set_bot_blocked(user_id, blocked)
            ended = None
            if blocked:
                await uow.queue.lock_queue_changes()
                await uow.queue.dequeue(user_id)
                ended = await uow.chats.end_active_chat_of(user_id, "bot_blocked")
            await uow.commit()
        return ChatClosed.of(ended) or NoChat()


class GetChatHistory(UseCase):
    """A chat's messages in order, for moderation."""

    async def __call__(self, chat_id: int) -> list[Message]:
        async with self.db.uow() as uow:
            return await uow.messages.history(chat_id)


class GetStats(UseCase):
    async def __call__(self) -> Stats:
        async with self.db.uow() as uow:
            return await uow.safety.stats()


@dataclass(frozen=True, slots=True)
class PurgeExpired(UseCase):
    """Delete message history older than the retention period, and old update ids."""

    retention_days: int = 7

    async def __call__(self) -> tuple[int, int]:
        async with self.db.uow() as uow:
            deleted = await uow.safety.purge_expired(self.retention_days)
            await uow.commit()
        return deleted
