"""Input refused at the door, before any handler: told to the sender in one clear line."""

from __future__ import annotations

import logging
from typing import Any

from aiogram import BaseMiddleware
from aiogram import Bot
from aiogram.dispatcher.event.bases import NextMiddlewareType
from aiogram.types import Message
from aiogram.types import TelegramObject
from aiogram.utils.i18n import gettext as _

log = logging.getLogger(__name__)


def nul_character_text() -> str:
    return _("This message contains a NUL character (U+0000), which can't be sent. Remove it and send it again.")


class RefuseNulCharacters(BaseMiddleware):
    """A text, caption or edit with a NUL character is refused and nothing is stored.

    PostgreSQL's text cannot hold U+0000, so storing such a message would fail deep in the relay
    with a generic apology and a traceback. Register it on messages and edits, after the
    language middleware (the answer is in the sender's language).
    """

    async def __call__(
        self, handler: NextMiddlewareType[TelegramObject], event: TelegramObject, data: dict[str, Any]
    ) -> Any:
        if isinstance(event, Message) and "\x00" in (event.text or event.caption or ""):
            log.info("a message with a NUL character was refused; nothing stored")
            bot: Bot = data["bot"]
            await bot.send_message(event.chat.id, nul_character_text())
            return None
        return await handler(event, data)
