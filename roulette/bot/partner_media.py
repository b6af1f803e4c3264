"""How a partner's photo or video reaches a user who asked for it blurred, or as text only.

`copyMessage` cannot add Telegram's spoiler, so a blurred photo, video or animation is sent again
by its file id with `has_spoiler`; for "text only", a line in the receiver's language says what
was sent, and no media goes out at all (docs/safety.md says why there is no button to open it).
"""

from __future__ import annotations

from typing import Any

from aiogram.methods import SendAnimation
from aiogram.methods import SendMessage
from aiogram.methods import SendPhoto
from aiogram.methods import SendVideo
from aiogram.types import Message
from aiogram.types import ReplyParameters

from roulette.anonymity import outgoing
from roulette.bot.delivery import Courier
from roulette.bot.texts import media_placeholder
from roulette.domain import BLURRABLE_KINDS
from roulette.domain import VISUAL_KINDS
from roulette.domain import MediaDelivery
from roulette.domain import MessageKind
from roulette.settings import Settings
from roulette.usecases.chat import Relay


def replaces_copy(delivery: MediaDelivery, kind: MessageKind) -> bool:
    """Whether a message of this kind reaches this partner as something other than a copy."""
    return (delivery is MediaDelivery.TEXT and kind in VISUAL_KINDS) or (
        delivery is MediaDelivery.BLURRED and kind in BLURRABLE_KINDS
    )


async def instead_of_copy(
    message: Message,
    kind: MessageKind,
    relay: Relay,
    reply_parameters: ReplyParameters | None,
    courier: Courier,
    settings: Settings,
) -> SendMessage | SendPhoto | SendVideo | SendAnimation | None:
    """What to send instead of a plain copy, or None when a copy is right."""
    if relay.media is MediaDelivery.TEXT and kind in VISUAL_KINDS:
        text = await courier.in_language_of(relay.partner_id, lambda: media_placeholder(kind))
        return SendMessage(chat_id=relay.partner_id, text=text, parse_mode=None, reply_parameters=reply_parameters)
    if not replaces_copy(relay.media, kind):
        return None
    caption = outgoing(message.caption, message.caption_entities)  # what may leave the bot
    common: dict[str, Any] = {
        "chat_id": relay.partner_id,
        "caption": caption.text,
        "caption_entities": caption.entities,
        "parse_mode": None,
        "has_spoiler": True,
        "reply_parameters": reply_parameters,
        "protect_content": settings.protect_content,
    }
    if kind is MessageKind.PHOTO and message.photo:
        return SendPhoto(photo=message.photo[-1].file_id, **common)
    if kind is MessageKind.VIDEO and message.video is not None:
        return SendVideo(video=message.video.file_id, **common)
    if kind is MessageKind.ANIMATION and message.animation is not None:
        return SendAnimation(animation=message.animation.file_id, **common)
    return None
