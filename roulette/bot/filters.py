"""Async filters. aiogram runs sync filters (magic `F` ones too) in a thread; these don't."""

from __future__ import annotations

from aiogram.filters import BaseFilter
from aiogram.types import CallbackQuery
from aiogram.types import ChatMemberUpdated
from aiogram.types import Message
from aiogram.types import MessageReactionUpdated

from roulette.bot.reply_keyboard import ReplyButton
from roulette.bot.reply_keyboard import button_labelled


class IsAdmin(BaseFilter):
    def __init__(self, admin_ids: frozenset[int]) -> None:
        self.admin_ids = admin_ids

    async def __call__(self, event: Message | CallbackQuery) -> bool:
        return event.from_user is not None and event.from_user.id in self.admin_ids


class IsPrivate(BaseFilter):
    """Anochat only talks in private chats; groups a user adds it to are ignored."""

    async def __call__(self, event: Message | CallbackQuery | ChatMemberUpdated | MessageReactionUpdated) -> bool:
        if isinstance(event, CallbackQuery):
            return event.message is None or event.message.chat.type == "private"
        return event.chat.type == "private"


class ChatText(BaseFilter):
    """Neither a command nor a keyboard label: the message can skip every command handler.

    aiogram's Command filter looks at the caption too, so a captioned photo counts the same way.
    """

    async def __call__(self, message: Message) -> bool:
        text = message.text or message.caption
        if text and text.startswith("/"):
            return False
        return message.text is None or button_labelled(message.text) is None


class Pressed(BaseFilter):
    """The message is exactly the label of one of these keyboard buttons (in the user's language)."""

    def __init__(self, *buttons: ReplyButton) -> None:
        self.buttons = frozenset(buttons)

    async def __call__(self, message: Message) -> bool:
        return message.text is not None and button_labelled(message.text) in self.buttons
