"""Use cases of reactions: a reaction on the partner's copy goes to the sender's original."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from typing import Literal

from roulette.usecases.chat import FloodPolicy
from roulette.usecases.chat import NotRelayed
from roulette.usecases.use_case import UseCase


@dataclass(frozen=True, slots=True)
class ReactionTarget:
    """Where the reaction goes: the partner's original message, in their chat with the bot."""

    partner_id: int
    message_id: int


ReactionResult = ReactionTarget | Literal[NotRelayed.FLOODED, NotRelayed.NOT_A_PARTNERS_COPY]


@dataclass(frozen=True, slots=True)
class RelayReaction(UseCase):
    """Say which message of the partner a reaction belongs on; reactions count against the flood
    guard like messages and edits (a flooded one goes nowhere)."""

    flood: FloodPolicy = field(default_factory=FloodPolicy)

    async def __call__(self, user_id: int, message_id: int) -> ReactionResult:
        async with self.db.statement() as statement:
            reacted = await statement.sent_messages.find_reacted(
                user_id, message_id, self.flood.max_messages, self.flood.window_seconds
            )
        if reacted.partner_id is None or reacted.message_id is None:
            return NotRelayed.NOT_A_PARTNERS_COPY
        if reacted.flooded:
            return NotRelayed.FLOODED
        return ReactionTarget(reacted.partner_id, reacted.message_id)
