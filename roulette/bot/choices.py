"""Choices stay visible, stale buttons go: once a choice is made, its message says what was
chosen and loses the buttons that no longer apply, so old rows do not pile up in the chat."""

from __future__ import annotations

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery
from aiogram.types import InlineKeyboardMarkup
from aiogram.types import Message

from roulette.bot.delivery import is_message_gone


async def show_choice(query: CallbackQuery, chosen: str, keep: InlineKeyboardMarkup | None = None) -> None:
    """Append the choice to the question the buttons were under; `keep` are the buttons that still apply."""
    message = query.message
    if not isinstance(message, Message):  # too old to edit: nothing stale to remove
        return
    try:
        await message.edit_text(f"{message.html_text}\n\n✔️ {chosen}", reply_markup=keep)
    except TelegramBadRequest as error:
        if "not modified" not in error.message and not is_message_gone(error):
            raise
