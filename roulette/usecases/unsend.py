"""Unsend: a user takes back a message they sent; the partner's copy is deleted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import Enum
from enum import auto

from roulette.usecases.use_case import UseCase

#: Telegram lets a bot delete a message in a private chat only this long after it was sent.
DELETABLE_FOR = timedelta(hours=48)


@dataclass(frozen=True, slots=True)
class Unsent:
    """The message (`message_id` in the sender's chat) is marked unsent: delete its copy,
    `relayed_message_id` in the partner's chat."""

    message_id: int
    partner_id: int
    relayed_message_id: int


class NotUnsent(Enum):
    """Why nothing was unsent (and nothing changed)."""

    NOT_IN_CHAT = auto()
    NOT_IN_THIS_CHAT = auto()  # no such message of the sender in the chat going on (or none at all)
    NOT_DELIVERED = auto()  # not copied to the partner (yet): nothing to delete
    ALREADY_UNSENT = auto()
    TOO_OLD = auto()  # older than Telegram lets a bot delete


class UnsendMessage(UseCase):
    """Mark the sender's message unsent (their last one in the chat when `message_id` is None) and
    say which copy to delete. The message stays stored as long as any of its chat: a report made
    afterwards still shows what the partner saw."""

    async def __call__(self, sender_id: int, message_id: int | None = None) -> Unsent | NotUnsent:
        async with self.db.uow() as uow:
            outcome = await uow.sent_messages.unsend(sender_id, message_id, DELETABLE_FOR.total_seconds())
            await uow.commit()
        if outcome.chat_id is None:
            return NotUnsent.NOT_IN_CHAT
        if outcome.message_id is None:
            return NotUnsent.NOT_IN_THIS_CHAT
        if outcome.already_unsent:
            return NotUnsent.ALREADY_UNSENT
        if outcome.too_old:
            return NotUnsent.TOO_OLD
        if not outcome.unsent or outcome.partner_id is None or outcome.relayed_message_id is None:
            return NotUnsent.NOT_DELIVERED
        assert outcome.source_message_id is not None
        return Unsent(outcome.source_message_id, outcome.partner_id, outcome.relayed_message_id)
