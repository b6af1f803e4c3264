"""Use cases of a user's profile, wishes and language, and of an admin's correction of an age.

A change applies the pairing rules again at once, as if the user and whoever they are with had
just been paired: a chat the pair could no longer start ends (both told, neutrally, through the
outbox, like any chat end), and a waiting user searches again under the new rules (dequeue, then
the one pairing function, sql/functions/start_search.sql, in the same transaction: a crash never
leaves them out of the queue). Each change takes the pairing lock (sql/lock_queue_changes.sql)
first, so a search running at the same instant either pairs under the old profile before the
change (which then checks that chat) or runs after it and sees it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from enum import auto
from uuid import UUID

from roulette.age_wall import AcrossTheWall
from roulette.age_wall import class_ages
from roulette.age_wall import fitted_to_class
from roulette.age_wall import may_change_age
from roulette.age_wall import within_class
from roulette.domain import Language
from roulette.domain import Profile
from roulette.domain import SearchPreferences
from roulette.domain import User
from roulette.domain import pairing_obstacle
from roulette.storage.uow import UnitOfWork
from roulette.usecases.account import UserNotFound
from roulette.usecases.chat import ChatClosed
from roulette.usecases.moderation import ReportUnavailable
from roulette.usecases.search import Paired
from roulette.usecases.search import SearchOutcome
from roulette.usecases.search import search_result
from roulette.usecases.use_case import UseCase


class EditRefused(Enum):
    """Why a user's own edit of their profile changed nothing."""

    # the new age lies across 18 from the first one declared: only an admin can (SetAge)
    AGE_ACROSS_THE_WALL = auto()


@dataclass(frozen=True, slots=True)
class AgesOutsideClass:
    """Refused: no wished partner age lies in the user's own class (`youngest`–`oldest`), where
    every partner is. Nothing changed."""

    youngest: int
    oldest: int


@dataclass(frozen=True, slots=True)
class Saved:
    """The change as saved, and what the pairing rules made of the user's chat or search."""

    user: User
    ended_chat: ChatClosed | None = None  # the pair now breaks a rule: the chat ended
    paired: Paired | None = None  # the user was waiting and, searching again, found a partner


async def _locked_user(uow: UnitOfWork, user_id: int) -> User | None:
    """The pairing lock (the change has to see, and be seen by, every search), then the user."""
    await uow.queue.lock_queue_changes()
    return await uow.users.get(user_id)


async def _apply_rules(uow: UnitOfWork, user: User) -> tuple[ChatClosed | None, Paired | None]:
    """Inside the change's transaction, after it: end the user's chat if the pair now breaks a
    pairing rule, or have a waiting user search again under the new rules."""
    if (place := await uow.queue.leave(user.id)) is not None:
        # The pairing lock held by this transaction keeps every other search out meanwhile; the
        # search records the update being handled, as any search does.
        found = search_result(user.id, await uow.queue.start_search(user.id))
        if found is SearchOutcome.WAITING:
            await uow.queue.keep_place(user.id, place)  # the wait already done still counts
        return None, found if isinstance(found, Paired) else None
    active = await uow.chats.active_chat_of(user.id)
    if active is None:
        return None, None
    partner = await uow.users.get(active.partner_id)
    if partner is None or pairing_obstacle(user, partner) is None:
        return None, None
    ended = await uow.chats.end_active_chat_of(user.id, "no_longer_compatible", tell_leaver=True)
    return ChatClosed.of(ended), None


async def _commit(uow: UnitOfWork, user_id: int, user: User | None) -> Saved | UserNotFound:
    """Apply the pairing rules to the user as changed, and commit."""
    if user is None:  # deleted meanwhile
        return UserNotFound(user_id)
    ended_chat, paired = await _apply_rules(uow, user)
    await uow.commit()
    return Saved(paired.me if paired is not None else user, ended_chat, paired)


class UpdateProfile(UseCase):
    """Replace gender, age and interests. The age stays in the class of the first one declared
    (the database refuses any other, see migrations/0008_age_class.sql); the wished partner ages
    follow the class the first age sets."""

    async def __call__(self, user_id: int, profile: Profile) -> Saved | UserNotFound | EditRefused:
        async with self.db.uow() as uow:
            if (current := await _locked_user(uow, user_id)) is None:
                return UserNotFound(user_id)
            if profile.age is not None and not may_change_age(current.profile.age, profile.age):
                return EditRefused.AGE_ACROSS_THE_WALL
            try:
                user = await uow.users.update_profile(user_id, profile)
            except AcrossTheWall:  # an admin moved the user to the other class meanwhile
                return EditRefused.AGE_ACROSS_THE_WALL
            if user is not None and profile.age is not None:
                fitted = fitted_to_class(user.preferences, profile.age)
                if fitted != user.preferences:
                    user = await uow.users.update_preferences(user_id, fitted)
            return await _commit(uow, user_id, user)


class UpdatePreferences(UseCase):
    """Replace the wishes, with the partner ages cut to the user's own class."""

    async def __call__(self, user_id: int, preferences: SearchPreferences) -> Saved | UserNotFound | AgesOutsideClass:
        async with self.db.uow() as uow:
            if (current := await _locked_user(uow, user_id)) is None:
                return UserNotFound(user_id)
            age = current.profile.age
            cut = within_class(preferences, age)
            if cut is None:
                assert age is not None
                return AgesOutsideClass(*class_ages(age))
            user = await uow.users.update_preferences(user_id, cut)
            return await _commit(uow, user_id, user)


class SetLanguage(UseCase):
    """Change the interface language, which is also the language a partner of "my language" speaks:
    the pairing rules apply again as for any change of profile."""

    async def __call__(self, user_id: int, language: Language) -> Saved | UserNotFound:
        async with self.db.uow() as uow:
            if await _locked_user(uow, user_id) is None:
                return UserNotFound(user_id)
            user = await uow.users.set_language(user_id, language)
            return await _commit(uow, user_id, user)


class SetAge(UseCase):
    """An admin corrects a user's age (named by id, or by a report's token: the reported user),
    across 18 if need be, which a user's own edit can never do; written to the audit log."""

    async def __call__(self, admin_id: int, target: int | UUID, age: int) -> Saved | UserNotFound | ReportUnavailable:
        async with self.db.uow() as uow:
            report_id = None
            if isinstance(target, UUID):
                report = await uow.moderation.report(target)
                if report is None:
                    return ReportUnavailable.NOT_FOUND
                report_id, user_id = report.id, report.reported_id
            else:
                user_id = target
            if (current := await _locked_user(uow, user_id)) is None:
                return UserNotFound(user_id)
            user = await uow.users.set_age_by_admin(user_id, age, fitted_to_class(current.preferences, age))
            if user is not None:
                await uow.moderation.audit(admin_id, "set_age", report_id=report_id, target_user_id=user_id)
            return await _commit(uow, user_id, user)
