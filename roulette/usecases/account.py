"""Use cases of a user's own account: registration, language, media, deletion (profile and wishes:
roulette/usecases/profile.py)."""

from __future__ import annotations

from dataclasses import dataclass

from roulette.domain import Language
from roulette.domain import MediaDelivery
from roulette.domain import User
from roulette.usecases.chat import ChatClosed
from roulette.usecases.use_case import UseCase


@dataclass(frozen=True, slots=True)
class UserNotFound:
    user_id: int


@dataclass(frozen=True, slots=True)
class Registered:
    user: User
    created: bool


@dataclass(frozen=True, slots=True)
class Deleted:
    ended_chat: ChatClosed | None


class RegisterUser(UseCase):
    async def __call__(self, user_id: int, language: Language) -> Registered:
        async with self.db.uow() as uow:
            user, created = await uow.users.register(user_id, language)
            await uow.commit()
        return Registered(user, created)


class GetUser(UseCase):
    async def __call__(self, user_id: int) -> User | None:
        async with self.db.uow() as uow:
            return await uow.users.get(user_id)


class SetPartnerMedia(UseCase):
    """How partners' photos and videos reach the user; None: the default for their age."""

    async def __call__(self, user_id: int, delivery: MediaDelivery | None) -> User | UserNotFound:
        async with self.db.uow() as uow:
            user = await uow.users.set_partner_media(user_id, delivery)
            await uow.commit()
        return user if user is not None else UserNotFound(user_id)


class DeleteUser(UseCase):
    """End the user's chat and search, and erase or anonymise every row that names them (see
    sql/delete_user.sql for what stays, and why)."""

    async def __call__(self, user_id: int) -> Deleted | UserNotFound:
        async with self.db.uow() as uow:
            await uow.queue.lock_queue_changes()
            ended = await uow.chats.end_active_chat_of(user_id, "deleted")
            await uow.queue.dequeue(user_id)
            if not await uow.users.delete(user_id):
                return UserNotFound(user_id)
            await uow.commit()
        return Deleted(ChatClosed.of(ended))
