"""Talking to users through Telegram, after the use case has committed.

`Courier.send` turns a 403 — the user blocked the bot — into the end of that user's chat,
telling the partner. Flood limits and transient failures are retried below it, for every call
(roulette/bot/retries.py).

Notices that follow a change ("partner found", "partner left") were written to the outbox with
the change; `deliver_notices` sends them, then forgets them. A crash in between only delays a
notice: any process sends it again once its lease has passed (at least once, never lost).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from typing import TypeVar
from uuid import UUID

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.exceptions import TelegramBadRequest
from aiogram.exceptions import TelegramForbiddenError
from aiogram.methods import AnswerCallbackQuery
from aiogram.methods import CopyMessage
from aiogram.methods import CopyMessages
from aiogram.methods import DeleteMessage
from aiogram.methods import EditMessageCaption
from aiogram.methods import EditMessageReplyMarkup
from aiogram.methods import EditMessageText
from aiogram.methods import GetUpdates
from aiogram.methods import SendMessage
from aiogram.methods import SetMyCommands
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from roulette.bot import keyboards
from roulette.bot import reply_keyboard
from roulette.bot.languages import Languages
from roulette.bot.texts import interests_list
from roulette.bot.texts import reputation_line
from roulette.domain import Reputation
from roulette.storage.outbox import Notice
from roulette.storage.outbox import NoticeKind
from roulette.usecases import UseCases
from roulette.usecases.chat import ChatClosed
from roulette.usecases.profile import Saved
from roulette.usecases.reconnect import RECONNECT_WINDOW_HOURS
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
        if closed is not None:
            await self.announce_chat_end(closed, ended_by=user_id)

    async def in_language_of(self, user_id: int, text: Callable[[], str]) -> str:
        """A text composed in that user's own language."""
        language = (await self._languages.of(user_id)).value
        with self._i18n.use_locale(language):
            return text()

    async def say(self, user_id: int, text: Callable[[], str], *, markup: Callable[[], Any] | None = None) -> None:
        """Send a text composed in that user's own language."""
        language = (await self._languages.of(user_id)).value
        with self._i18n.context(), self._i18n.use_locale(language):  # also outside an update (the outbox sweep)
            body = text()
            reply_markup = markup() if markup is not None else None
        await self.send(SendMessage(chat_id=user_id, text=body, reply_markup=reply_markup), recipient=user_id)

    async def announce_pair(self, paired: Paired) -> None:
        """Tell both sides they have a partner (the pairing wrote both notices)."""
        await self.deliver_notices(paired.me.id, paired.partner.id)

    async def announce_chat_end(self, closed: ChatClosed, *, ended_by: int) -> None:
        """Tell the partner the chat is over, and the one who ended it when they asked to leave (the
        change wrote the notices); each with the idle keyboard, then rating buttons."""
        await self.deliver_notices(closed.partner_id, ended_by)

    async def announce_change(self, saved: Saved) -> None:
        """What a change of profile or wishes did under the pairing rules: a chat it ended, a
        partner its new search found (the change wrote the notices)."""
        if saved.ended_chat is not None:
            await self.announce_chat_end(saved.ended_chat, ended_by=saved.user.id)
        if saved.paired is not None:
            await self.announce_pair(saved.paired)

    async def deliver_notices(self, *user_ids: int) -> None:
        """Send these users' pending notices, each user's in the order written, then forget them."""
        recipients = list(dict.fromkeys(user_ids))
        # Ends: each round forgets what it sent, and what it could not send stays claimed.
        while notices := await self._usecases.claim_notices(recipients):
            await self.deliver_claimed(notices)

    async def deliver_claimed(self, notices: list[Notice]) -> None:
        """Send claimed notices and forget those sent. One that meets a Telegram failure stays
        claimed, and any process sends it again once its lease has passed."""
        sent: list[int] = []
        for notice in notices:
            try:
                await self._send_notice(notice)
            except TelegramBadRequest as error:
                # Telegram will never take it (the chat is gone): trying again cannot help
                log.warning("notice %s refused by Telegram: %s", notice.kind.value, error.message)
            except TelegramAPIError as error:
                log.warning("notice %s not sent (%s); it is sent again later", notice.kind.value, error)
                continue
            sent.append(notice.id)
        if sent:
            await self._usecases.forget_delivered(sent)

    async def _send_notice(self, notice: Notice) -> None:
        chat_id, user_id = notice.chat_id, notice.recipient_id

        def rate_markup() -> InlineKeyboardMarkup:
            return keyboards.after_chat(chat_id)

        match notice.kind:
            case NoticeKind.PARTNER_FOUND if notice.details.get("again"):
                await self.say(
                    user_id,
                    lambda: _(
                        "🔁 You are talking again with your partner from before. Say hi.\n\n"
                        "/next — another partner · /stop — end the chat"
                    ),
                    markup=reply_keyboard.in_chat,
                )
            case NoticeKind.PARTNER_FOUND:
                details = notice.details
                reputation = Reputation(likes=int(details.get("likes", 0)), dislikes=int(details.get("dislikes", 0)))
                shared = frozenset(str(tag) for tag in details.get("shared") or ())

                def found() -> str:
                    return _(
                        "🎉 Partner found! Say hi.\n"
                        "Partner's reputation: {reputation}\n"
                        "Shared interests: {shared}\n\n"
                        "/next — another partner · /stop — end the chat"
                    ).format(reputation=reputation_line(reputation), shared=interests_list(shared))

                await self.say(user_id, found, markup=reply_keyboard.in_chat)
            case NoticeKind.PARTNER_LEFT:
                await self.say(
                    user_id,
                    lambda: _("Your partner has left the chat.\n/search — find a new partner"),
                    markup=reply_keyboard.idle,
                )
                await self.say(user_id, lambda: _("How was it?"), markup=rate_markup)
            case NoticeKind.YOU_LEFT:
                await self.say(user_id, lambda: _("The chat is over."), markup=reply_keyboard.idle)
                await self.say(user_id, lambda: _("How was your partner?"), markup=rate_markup)
            case NoticeKind.RECONNECT_INVITE:
                token = UUID(str(notice.details["token"]))
                await self.say(
                    user_id,
                    lambda: _(
                        "🔁 Your partner from an earlier chat would like to talk again. If you accept while "
                        "you are both free, the chat opens again. You can answer until {hours} hours after that "
                        "chat ended, or until either of you starts another chat."
                    ).format(hours=RECONNECT_WINDOW_HOURS),
                    markup=lambda: keyboards.reconnect_invitation(token),
                )
            case NoticeKind.RECONNECT_DECLINED:
                await self.say(user_id, not_now)


def not_now() -> str:
    """All an asker ever learns when the partner cannot, or does not want to, talk again."""
    return _("🔁 Not now: your partner from that chat can't talk again at the moment.")


def is_message_gone(error: TelegramBadRequest) -> bool:
    """Copies, edits or replies to a message that no longer exists."""
    text = error.message.lower()
    return "not found" in text or "message to" in text or "can't be" in text
