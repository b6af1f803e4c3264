"""Use cases of looking for a partner: search, cancel, and where a user stands."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from roulette.domain import User
from roulette.domain import pairing_obstacle
from roulette.usecases.account import UserNotFound
from roulette.usecases.use_case import UseCase

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Paired:
    chat_id: int
    partner: User
    me: User

    @property
    def shared_interests(self) -> frozenset[str]:
        return self.me.profile.interests.shared_with(self.partner.profile.interests)


@dataclass(frozen=True, slots=True)
class Waiting:
    pass


@dataclass(frozen=True, slots=True)
class AlreadyInChat:
    chat_id: int
    partner_id: int


@dataclass(frozen=True, slots=True)
class AlreadySearching:
    pass


@dataclass(frozen=True, slots=True)
class ProfileIncomplete:
    pass


@dataclass(frozen=True, slots=True)
class Banned:
    until: datetime


SearchResult = Paired | Waiting | AlreadyInChat | AlreadySearching | ProfileIncomplete | Banned | UserNotFound


@dataclass(frozen=True, slots=True)
class SearchCancelled:
    pass


@dataclass(frozen=True, slots=True)
class NotSearching:
    pass


@dataclass(frozen=True, slots=True)
class InChat:
    chat_id: int
    partner_id: int


@dataclass(frozen=True, slots=True)
class Searching:
    pass


@dataclass(frozen=True, slots=True)
class Idle:
    pass


ChatStatus = InChat | Searching | Idle


class StartSearch(UseCase):
    """Pair with the best compatible waiting user, or wait in the queue."""

    async def __call__(self, user_id: int) -> SearchResult:
        # One statement, outside a transaction: it takes the pairing lock, and everything it
        # reads afterwards includes every search committed before, so two compatible users can
        # never both end up waiting; the lock is released as soon as it returns.
        async with self.db.statement() as statement:
            outcome = await statement.queue.start_search(user_id)
        if outcome is None:
            return UserNotFound(user_id)
        me = outcome.me
        if not outcome.complete:
            return ProfileIncomplete()
        if outcome.banned:
            assert me.banned_until is not None
            return Banned(me.banned_until)
        if outcome.active_chat is not None:
            return AlreadyInChat(outcome.active_chat.chat_id, outcome.active_chat.partner_id)
        if outcome.searching:
            return AlreadySearching()
        if outcome.partner is not None:
            assert outcome.chat_id is not None
            reason = pairing_obstacle(me, outcome.partner)
            if reason is not None:  # the SQL and the domain disagree: a bug, never a user's fault
                log.error("chat %s paired against the rules: %s", outcome.chat_id, reason)
            return Paired(outcome.chat_id, partner=outcome.partner, me=me)
        assert outcome.queued
        return Waiting()


class CancelSearch(UseCase):
    async def __call__(self, user_id: int) -> SearchCancelled | NotSearching:
        async with self.db.uow() as uow:
            removed = await uow.queue.dequeue(user_id)
            await uow.commit()
        return SearchCancelled() if removed else NotSearching()


class GetCurrentChat(UseCase):
    """Is the user busy (in a chat, searching) or free?"""

    async def __call__(self, user_id: int) -> ChatStatus:
        async with self.db.uow() as uow:
            active = await uow.chats.active_chat_of(user_id)
            if active is not None:
                return InChat(active.chat_id, active.partner_id)
            return Searching() if await uow.queue.is_searching(user_id) else Idle()
