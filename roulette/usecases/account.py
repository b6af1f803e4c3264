"""Use cases of a user's own account: registration, profile, wishes, language, deletion."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from enum import auto

from roulette.age_wall import AcrossTheWall
from roulette.age_wall import class_ages
from roulette.age_wall import fitted_to_class
from roulette.age_wall import may_change_age
from roulette.age_wall import within_class
from roulette.domain import Language
from roulette.domain import MediaDelivery
from roulette.domain import Profile
from roulette.domain import SearchPreferences
from roulette.domain import User
from roulette.usecases.chat import ChatClosed
from roulette.usecases.use_case import UseCase


@dataclass(frozen=True, slots=True)
class UserNotFound:
    user_id: int


class EditRefused(Enum):
    """Why a user's own edit of their profile changed nothing."""

    # the new age lies across 18 from the first one declared: only an admin can (moderation.SetAge)
    AGE_ACROSS_THE_WALL = auto()


@dataclass(frozen=True, slots=True)
class AgesOutsideClass:
    """Refused: no wished partner age lies in the user's own class (`youngest`–`oldest`), where
    every partner is. Nothing changed."""

    youngest: int
    oldest: int


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


class UpdateProfile(UseCase):
    """Replace gender, age and interests. The age stays in the class of the first one declared
    (the database refuses any other, see migrations/0008_age_class.sql); the wished partner ages
    follow the class the first age sets."""

    async def __call__(self, user_id: int, profile: Profile) -> User | UserNotFound | EditRefused:
        async with self.db.uow() as uow:
            current = await uow.users.get(user_id)
            if current is None:
                return UserNotFound(user_id)
            if profile.age is not None and not may_change_age(current.profile.age, profile.age):
                return EditRefused.AGE_ACROSS_THE_WALL
            try:
                user = await uow.users.update_profile(user_id, profile)
            except AcrossTheWall:  # an admin moved the user to the other class meanwhile
                return EditRefused.AGE_ACROSS_THE_WALL
            if user is None:  # deleted meanwhile
                return UserNotFound(user_id)
            if profile.age is not None:
                fitted = fitted_to_class(user.preferences, profile.age)
                if fitted != user.preferences:
                    user = await uow.users.update_preferences(user_id, fitted)
            await uow.commit()
        return user if user is not None else UserNotFound(user_id)


class UpdatePreferences(UseCase):
    """Replace the wishes, with the partner ages cut to the user's own class."""

    async def __call__(self, user_id: int, preferences: SearchPreferences) -> User | UserNotFound | AgesOutsideClass:
        async with self.db.uow() as uow:
            current = await uow.users.get(user_id)
            if current is None:
                return UserNotFound(user_id)
            age = current.profile.age
            cut = within_class(preferences, age)
            if cut is None:
                assert age is not None
                return AgesOutsideClass(*class_ages(age))
            user = await uow.users.update_preferences(user_id, cut)
            await uow.commit()
        return user if user is not None else UserNotFound(user_id)


class SetPartnerMedia(UseCase):
    """How partners' photos and videos reach the user; None: the default for their age."""

    async def __call__(self, user_id: int, delivery: MediaDelivery | None) -> User | UserNotFound:
        async with self.db.uow() as uow:
            user = await uow.users.set_partner_media(user_id, delivery)
            await uow.commit()
        return user if user is not None else UserNotFound(user_id)


class SetLanguage(UseCase):
    async def __call__(self, user_id: int, language: Language) -> User | UserNotFound:
        async with self.db.uow() as uow:
            user = await uow.users.set_language(user_id, language)
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
