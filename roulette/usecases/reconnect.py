"""Use cases of talking again by mutual consent: after a chat ends, either side may ask the other
to talk again; the other accepts or declines. Both asking is accepting.

The offer lasts `RECONNECT_WINDOW` after the chat ended, or until either side starts another chat.
Every hard rule of pairing (adults and minors apart, blocks, bans and review holds, deleted data, a
bot blocked) is checked again when the chat would open, in the transaction that opens it, under
the pairing lock: no search, ban, bot block or deletion can slip in between. A block of the pair
withdraws pending invitations and waits for an accept under way (sql/block_partner.sql).
Whatever keeps the partner from talking again is told as "not now", never why.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import Enum
from enum import auto
from uuid import UUID

from roulette.storage.reconnect import Invitation
from roulette.storage.reconnect import Standing
from roulette.storage.uow import UnitOfWork
from roulette.usecases.after_chat import Refused
from roulette.usecases.use_case import UseCase
from roulette.usecases.use_case import now

RECONNECT_WINDOW_HOURS = 24
RECONNECT_WINDOW = timedelta(hours=RECONNECT_WINDOW_HOURS)


@dataclass(frozen=True, slots=True)
class Invited:
    invitee_id: int


@dataclass(frozen=True, slots=True)
class Reconnected:
    chat_id: int
    asker_id: int
    invitee_id: int


@dataclass(frozen=True, slots=True)
class Declined:
    asker_id: int


class NotAgain(Enum):
    """Why asking or accepting opened nothing; nothing changed (an invitation stays as it was)."""

    ALREADY_ASKED = auto()  # once per chat and asker, whatever became of it
    TOO_LATE = auto()  # the window passed, or the one acting started another chat since
    IN_ANOTHER_CHAT = auto()  # the one acting is in a chat
    SEARCHING = auto()  # the one acting is searching: they may try again once they stop
    NOT_NOW = auto()  # the partner's side, or a rule between the two, says no: never told why
    INVITATION_GONE = auto()  # unknown, used, declined or expired, or the asker started another chat since


def own_obstacle(standing: Standing) -> NotAgain | None:
    """What keeps the one acting from talking again, told to them as it is."""
    me = standing.me
    if me.in_chat:
        return NotAgain.IN_ANOTHER_CHAT
    if me.searching:
        return NotAgain.SEARCHING
    ended_at = standing.ended_at
    if me.moved_on or ended_at is None or ended_at + RECONNECT_WINDOW <= now():
        return NotAgain.TOO_LATE
    if me.banned or me.bot_blocked or not me.complete:
        return NotAgain.NOT_NOW
    return None


def partner_obstacle(standing: Standing) -> NotAgain | None:
    """What keeps the partner from talking again, or a rule between the two: never told why."""
    partner = standing.partner
    if partner is None or standing.blocked or not partner.complete:
        return NotAgain.NOT_NOW
    if partner.adult != standing.me.adult:  # an age changed since: adults and minors are never paired
        return NotAgain.NOT_NOW
    if partner.banned or partner.bot_blocked or partner.in_chat or partner.searching or partner.moved_on:
        return NotAgain.NOT_NOW
    return None


async def _reopen(uow: UnitOfWork, invitation: Invitation) -> Reconnected:
    # the unique index one_active_chat_per_user still stands behind the checks made before
    chat_id = await uow.chats.create(invitation.asker_id, invitation.invitee_id)
    await uow.reconnect.announce(chat_id)
    return Reconnected(chat_id, invitation.asker_id, invitation.invitee_id)


class AskToReconnect(UseCase):
    """Ask the other side of an ended chat to talk again; accepts their invitation if they asked first."""

    async def __call__(self, user_id: int, chat_id: int) -> Invited | Reconnected | NotAgain | Refused:
        async with self.db.uow() as uow:
            # First, so that both sides asking at once are serialised (the second accepts the
            # first's invitation) and nothing read below changes before the commit.
            await uow.queue.lock_queue_changes()
            standing = await uow.reconnect.standing(chat_id, user_id)
            if standing is None:
                return Refused.NOT_YOUR_CHAT
            if standing.ended_at is None:
                return Refused.CHAT_STILL_ACTIVE
            if standing.partner_id is None:
                return Refused.PARTNER_GONE
            if standing.asked_before:
                return NotAgain.ALREADY_ASKED
            obstacle = own_obstacle(standing) or partner_obstacle(standing)
            if obstacle is not None:
                return obstacle
            if standing.partner_token is not None:
                invitation = await uow.reconnect.accept(standing.partner_token, user_id)
                assert invitation is not None  # read under the lock a moment ago
                result: Invited | Reconnected = await _reopen(uow, invitation)
            else:
                expires_at = standing.ended_at + RECONNECT_WINDOW
                token = await uow.reconnect.invite(chat_id, user_id, standing.partner_id, expires_at)
                assert token is not None  # asked_before was false under the lock
                result = Invited(standing.partner_id)
            await uow.commit()
        return result


class AcceptReconnect(UseCase):
    """The invitee accepts: the chat opens again if both are idle and every hard rule allows it."""

    async def __call__(self, user_id: int, token: UUID) -> Reconnected | NotAgain:
        async with self.db.uow() as uow:
            await uow.queue.lock_queue_changes()
            invitation = await uow.reconnect.accept(token, user_id)
            if invitation is None:
                return NotAgain.INVITATION_GONE
            standing = await uow.reconnect.standing(invitation.chat_id, user_id)
            if standing is None or standing.ended_at is None:
                return NotAgain.INVITATION_GONE
            own = own_obstacle(standing)
            if own is NotAgain.TOO_LATE or (own is None and standing.partner is not None and standing.partner.moved_on):
                return NotAgain.INVITATION_GONE
            obstacle = own or partner_obstacle(standing)
            if obstacle is not None:
                return obstacle  # not committed: the invitation stays pending
            result = await _reopen(uow, invitation)
            await uow.commit()
        return result


class DeclineReconnect(UseCase):
    """The invitee declines: the asker hears "not now"."""

    async def __call__(self, user_id: int, token: UUID) -> Declined | NotAgain:
        async with self.db.uow() as uow:
            invitation = await uow.reconnect.decline(token, user_id)
            if invitation is None:
                return NotAgain.INVITATION_GONE
            await uow.commit()
        return Declined(invitation.asker_id)
