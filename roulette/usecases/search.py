"""Use cases of looking for a partner: search, cancel, and where a user stands."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from enum import auto

from roulette.domain import User
from roulette.domain import pairing_obstacle
from roulette.storage.repositories import SearchOutcome as StoredSearchOutcome
from roulette.usecases.account import UserNotFound
from roulette.usecases.use_case import UseCase
from roulette.wishes import NarrowestWish
from roulette.wishes import narrowest_wish

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Paired:
    chat_id: int
    partner: User
    me: User

    @property
    def shared_interests(self) -> frozenset[str]:
        return self.me.profile.interests.shared_with(self.partner.profile.interests)


class SearchOutcome(Enum):
    """What a search found when there is nothing more to tell."""

    WAITING = auto()  # queued until a partner comes
    ALREADY_SEARCHING = auto()
    PROFILE_INCOMPLETE = auto()


@dataclass(frozen=True, slots=True)
class InChat:
    chat_id: int
    partner_id: int


@dataclass(frozen=True, slots=True)
class Banned:
    until: datetime


SearchResult = Paired | SearchOutcome | InChat | Banned | UserNotFound  # InChat: already in one


class Unpaired(Enum):
    """Where a user stands who is in no chat."""

    SEARCHING = auto()
    IDLE = auto()


ChatStatus = InChat | Unpaired

# A waiting user is shown how many search in their pool up to this many, and "more" beyond:
# the count stops there, so it costs the same however long the queue (docs/scaling.md).
SEARCHING_SHOWN_UP_TO = 1000
# How many waiting users one hint sweep claims at most.
WAIT_HINT_BATCH = 100


@dataclass(frozen=True, slots=True)
class SearchingNow:
    count: int  # in the user's pool, them included, up to `SEARCHING_SHOWN_UP_TO`

    @property
    def more(self) -> bool:
        """At least `SEARCHING_SHOWN_UP_TO` (the count stopped there)."""
        return self.count >= SEARCHING_SHOWN_UP_TO


@dataclass(frozen=True, slots=True)
class WaitHint:
    """What to tell a user who has waited: their own wish that narrows their pool most."""

    user: User
    narrowest: NarrowestWish


@dataclass(frozen=True, slots=True)
class WaitHints:
    claimed: int  # users claimed by this sweep: `WAIT_HINT_BATCH` means more may be due
    hints: list[WaitHint]  # those of them whose wishes narrow their pool


class StartSearch(UseCase):
    """Pair with the best compatible waiting user, or wait in the queue."""

    async def __call__(self, user_id: int) -> SearchResult:
        # One statement, outside a transaction: it takes the pairing lock, and everything it
        # reads afterwards includes every search committed before, so two compatible users can
        # never both end up waiting; the lock is released as soon as it returns.
        async with self.db.statement() as statement:
            outcome = await statement.queue.start_search(user_id)
        return search_result(user_id, outcome)


def search_result(user_id: int, outcome: StoredSearchOutcome | None) -> SearchResult:
    """What the pairing function's outcome means to the user who searched."""
    if outcome is None:
        return UserNotFound(user_id)
    me = outcome.me
    if not outcome.complete:
        return SearchOutcome.PROFILE_INCOMPLETE
    if outcome.banned:
        assert me.banned_until is not None
        return Banned(me.banned_until)
    if outcome.active_chat is not None:
        return InChat(outcome.active_chat.chat_id, outcome.active_chat.partner_id)
    if outcome.searching:
        return SearchOutcome.ALREADY_SEARCHING
    if outcome.partner is not None:
        assert outcome.chat_id is not None
        reason = pairing_obstacle(me, outcome.partner)
        if reason is not None:  # the SQL and the domain disagree: a bug, never a user's fault
            log.error("chat %s paired against the rules: %s", outcome.chat_id, reason)
        return Paired(outcome.chat_id, partner=outcome.partner, me=me)
    assert outcome.queued
    return SearchOutcome.WAITING


class CountSearching(UseCase):
    """How many search in the user's pool (their class and language) right now; None when the
    user is not waiting (a partner was found meanwhile)."""

    async def __call__(self, user_id: int) -> SearchingNow | None:
        async with self.db.statement() as statement:
            count = await statement.waiting.count_searching_in_pool(user_id, SEARCHING_SHOWN_UP_TO)
        return None if count is None else SearchingNow(count)


@dataclass(frozen=True, slots=True)
class ClaimWaitHints(UseCase):
    """The users who have waited `after_seconds` and were not hinted during this search, each
    claimed once (whatever the number of processes), with the wish to widen where one narrows
    their pool; a claimed user whose wishes narrow nothing much is told nothing."""

    after_seconds: float = 60.0

    async def __call__(self) -> WaitHints:
        async with self.db.uow() as uow:
            waiting = await uow.waiting.claim_wait_hints(self.after_seconds, WAIT_HINT_BATCH)
            if not waiting:
                return WaitHints(0, [])
            figures = await uow.waiting.figures()
            await uow.commit()
        hints = [WaitHint(user, narrowest) for user in waiting if (narrowest := narrowest_wish(user, figures))]
        return WaitHints(len(waiting), hints)


class CancelSearch(UseCase):
    """Leave the queue; False when the user was not in it."""

    async def __call__(self, user_id: int) -> bool:
        async with self.db.uow() as uow:
            removed = await uow.queue.dequeue(user_id)
            await uow.commit()
        return removed


class GetCurrentChat(UseCase):
    """Is the user busy (in a chat, searching) or free?"""

    async def __call__(self, user_id: int) -> ChatStatus:
        async with self.db.uow() as uow:
            active = await uow.chats.active_chat_of(user_id)
            if active is not None:
                return InChat(active.chat_id, active.partner_id)
            return Unpaired.SEARCHING if await uow.queue.is_searching(user_id) else Unpaired.IDLE
