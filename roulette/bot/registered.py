"""The user behind a command or a button of /profile and /settings, and where to answer them.

A command and the menu button that does the same share one piece of code: the button's query is
answered, and the reply goes under the message the button was on.
"""

from __future__ import annotations

from aiogram.types import CallbackQuery
from aiogram.types import Message

from roulette.bot.texts import needs_start
from roulette.domain import User
from roulette.usecases import UseCases


async def registered_user(
    event: Message | CallbackQuery, usecases: UseCases, *, complete: bool = False
) -> tuple[Message, User] | None:
    """Where to answer, and the user (with a complete profile, when `complete`). None when there
    is nobody to answer (the button's message is gone) or the user has to /start first, which
    they are told."""
    if isinstance(event, CallbackQuery):
        await event.answer()
        where = event.message if isinstance(event.message, Message) else None
    else:
        where = event
    assert event.from_user is not None
    user = await usecases.get_user(event.from_user.id)
    if where is None:
        return None
    if user is None or (complete and not user.profile.is_complete):
        await where.answer(needs_start())
        return None
    return where, user
