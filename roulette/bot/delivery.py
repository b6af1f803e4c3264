"""Talking to users through Telegram, after the use case has committed.

`Courier.send` turns a 403 — the user blocked the bot — into the end of that user's chat,
telling the partner. Flood limits and transient failures are retried below it, for every call
(roulette/bot/retries.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.methods import (
    AnswerCallbackQuery,
    CopyMessage,
    CopyMessages,
    DeleteMessage,
    EditMessageCaption,
    EditMessageReplyMarkup,
    EditMessageText,
    GetUpdates,
    SendMessage,
    SetMyCommands,
    TelegramMethod,
)
from aiogram.methods.base import Response
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from roulette.bot import keyboards, reply_keyboard
from roulette.bot.languages import Languages
from roulette.bot.texts import interests_list, reputation_line
from roulette.usecases import UseCases
from roulette.usecases.chat import ChatClosed
from roulette.usecases.search import Paired

log = logging.getLogger(__name__)
T = TypeVar("T")

# aiogram validates each answer with Response[method.__returning__]; pydantic keeps such
# parametrised classes only weakly, so after a garbage collection the next call builds the class
# again (~0.4 ms). Holding the ones the bot uses keeps them built (docs/performance.md).
RESPONSE_TYPES = tuple(
    Response[method.__returning__]  # type: ignore[name-defined]
    for method in (
        AnswerCallbackQuery,
        CopyMessage,
        CopyMessages,
        DeleteMessage,
        EditMessageCaption,
        EditMessageReplyMarkup,
        EditMessageText,
        GetUpdates,
        SendMessage,
        SetMyCommands,
    )
)


class Courier:
    def __init__(self, bot: Bot, usecases: UseCases, languages: Languages, i18n: I18n) -> None:
        self.bot = bot
        self._usecases = usecases
        self._languages = languages
        self._i18n = i18n

    async def send(self, method: TelegramMethod[T], *, recipient: int | None = None) -> T | None:
        """Call the Bot API; None when the recipient has blocked the bot (their chat is then ended)."""
        try:
            return await self.bot(method)
        except TelegramForbiddenError:
            if recipient is not None:
                await self.recipient_left(recipient)
            return None

    async def recipient_left(self, user_id: int) -> None:
        """The user blocked the bot: end their chat and tell the partner."""
        closed = await self._usecases.set_bot_blocked(user_id, True)
        if isinstance(closed, ChatClosed):
            await self.announce_chat_end(closed, ended_by=user_id, notify_ender=False)

    async def say(self, user_id: int, text: Callable[[], str], *, markup: Callable[[], Any] | None = None) -> None:
        """Send a text composed in that user's own language."""
        language = (await self._languages.of(user_id)).value
        with self._i18n.use_locale(language):
            body = text()
            reply_markup = markup() if markup is not None else None
        await self.send(SendMessage(chat_id=user_id, text=body, reply_markup=reply_markup), recipient=user_id)

    async def announce_pair(self, paired: Paired) -> None:
        shared = paired.shared_interests
        for user_id, partner in ((paired.me.id, paired.partner), (paired.partner.id, paired.me)):

            def notice(partner_: Any = partner) -> str:
                return _(
                    "🎉 Partner found! Say hi.\n"
                    "Partner's reputation: {reputation}\n"
                    "Shared interests: {shared}\n\n"
                    "/next — another partner · /stop — end the chat"
                ).format(reputation=reputation_line(partner_.reputation), shared=interests_list(shared))

            await self.say(user_id, notice, markup=reply_keyboard.in_chat)

    async def announce_chat_end(self, closed: ChatClosed, *, ended_by: int, notify_ender: bool = True) -> None:
        """Tell both sides the chat is over (with the idle keyboard), then offer rating buttons."""
        chat_id = closed.chat_id

        def rate_markup() -> InlineKeyboardMarkup:
            return keyboards.after_chat(chat_id)

        await self.say(
            closed.partner_id,
            lambda: _("Your partner has left the chat.\n/search — find a new partner"),
            markup=reply_keyboard.idle,
        )
        await self.say(closed.partner_id, lambda: _("How was it?"), markup=rate_markup)
        if notify_ender:
            await self.say(ended_by, lambda: _("The chat is over."), markup=reply_keyboard.idle)
            await self.say(ended_by, lambda: _("How was your partner?"), markup=rate_markup)


def is_message_gone(error: TelegramBadRequest) -> bool:
    """Copies, edits or replies to a message that no longer exists."""
    text = error.message.lower()
    return "not found" in text or "message to" in text or "can't be" in text
