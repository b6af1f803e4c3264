"""Reactions: a reaction on the partner's copy shows on the sender's original, both ways.

The bot sets it on the original (setMessageReaction), so the sender sees the bot's reaction, never
who reacted. A bot can set one emoji reaction per message, from Telegram's standard set, and no
custom emoji (unless already on the message) or paid reaction: only emoji reactions are mirrored.
A user with several reactions (Telegram Premium allows three) shows the one added last; a custom
emoji or a paid star alone shows as none. Reactions count against the flood guard like messages
(sql/find_reacted_message.sql); one over the limit is dropped without a notice, since a reaction
has no message to answer.
"""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import SetMessageReaction
from aiogram.types import MessageReactionUpdated
from aiogram.types import ReactionTypeCustomEmoji
from aiogram.types import ReactionTypeEmoji
from aiogram.types import ReactionTypePaid

from roulette.bot.delivery import Courier
from roulette.usecases import UseCases
from roulette.usecases.reactions import ReactionTarget

log = logging.getLogger(__name__)

Reaction = ReactionTypeEmoji | ReactionTypeCustomEmoji | ReactionTypePaid


def build_router() -> Router:
    router = Router(name="reactions")
    router.message_reaction.register(relay_reaction)
    return router


def mirrored(old: list[Reaction], new: list[Reaction]) -> list[Reaction]:
    """What the bot sets on the original: the emoji the user just added, else the last emoji they
    still have; nothing when they have none left (a removal, or only custom emoji or stars)."""
    before = {reaction.emoji for reaction in old if isinstance(reaction, ReactionTypeEmoji)}
    emojis = [reaction.emoji for reaction in new if isinstance(reaction, ReactionTypeEmoji)]
    added = [emoji for emoji in emojis if emoji not in before]
    return [ReactionTypeEmoji(emoji=emoji) for emoji in (added or emojis)[-1:]]


async def relay_reaction(reaction: MessageReactionUpdated, usecases: UseCases, courier: Courier) -> None:
    if reaction.user is None:
        return
    target = await usecases.relay_reaction(reaction.user.id, reaction.message_id)
    if not isinstance(target, ReactionTarget):
        return
    method = SetMessageReaction(
        chat_id=target.partner_id,
        message_id=target.message_id,
        reaction=mirrored(reaction.old_reaction, reaction.new_reaction),
    )
    try:
        await courier.send(method, recipient=target.partner_id)
    except TelegramBadRequest as error:
        # the sender deleted the original, or Telegram takes no such emoji as a reaction
        log.info("reaction not mirrored: %s", error.message)
