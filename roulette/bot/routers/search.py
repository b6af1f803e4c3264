"""/search, /next, /stop and the search buttons."""

from __future__ import annotations

from aiogram import F
from aiogram import Router
from aiogram.filters import Command
from aiogram.filters import or_f
from aiogram.types import CallbackQuery
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from roulette.bot import reply_keyboard
from roulette.bot.callbacks import Menu
from roulette.bot.callbacks import MenuAction
from roulette.bot.delivery import Courier
from roulette.bot.filters import Pressed
from roulette.bot.metrics import SEARCH_SECONDS
from roulette.bot.reply_keyboard import ReplyButton
from roulette.bot.texts import needs_start
from roulette.domain import REVIEW_HOLD_UNTIL
from roulette.usecases import UseCases
from roulette.usecases.account import UserNotFound
from roulette.usecases.search import Banned
from roulette.usecases.search import InChat
from roulette.usecases.search import Paired
from roulette.usecases.search import SearchOutcome


def build_router() -> Router:
    router = Router(name="search")
    router.message.register(cmd_search, or_f(Command("search"), Pressed(ReplyButton.SEARCH)))
    router.callback_query.register(on_search_button, MenuAction.filter(F.action == Menu.SEARCH))
    router.message.register(cmd_next, or_f(Command("next"), Pressed(ReplyButton.NEXT)))
    router.message.register(cmd_stop, or_f(Command("stop"), Pressed(ReplyButton.STOP, ReplyButton.CANCEL)))
    router.callback_query.register(on_cancel_button, MenuAction.filter(F.action == Menu.CANCEL))
    return router


async def search(message: Message, user_id: int, usecases: UseCases, courier: Courier) -> None:
    """Run a search for the user and tell them (and a new partner) what happened."""
    with SEARCH_SECONDS.time():
        result = await usecases.start_search(user_id)
    match result:
        case Paired():
            await courier.announce_pair(result)
        case SearchOutcome.WAITING:
            await message.answer(await looking_text(user_id, usecases), reply_markup=reply_keyboard.searching())
        case SearchOutcome.ALREADY_SEARCHING:
            await message.answer(_("🔎 Still looking for a partner…"), reply_markup=reply_keyboard.searching())
        case InChat():
            await message.answer(
                _("You are already in a chat. /next — another partner · /stop — end it"),
                reply_markup=reply_keyboard.in_chat(),
            )
        case SearchOutcome.PROFILE_INCOMPLETE | UserNotFound():
            await message.answer(needs_start())
        case Banned(until=until) if until >= REVIEW_HOLD_UNTIL:
            # held for review after a report: not told why, or by whom
            await message.answer(_("Searching is paused for your account for now."))
        case Banned(until=until):
            await message.answer(
                _("You can't search until {until} UTC.").format(until=until.strftime("%Y-%m-%d %H:%M"))
            )


async def looking_text(user_id: int, usecases: UseCases) -> str:
    """The "looking for a partner" text, with how many search in the user's pool right now (a number,
    nothing about anyone)."""
    searching = await usecases.count_searching(user_id)
    if searching is None:  # paired in the meantime: the "partner found" notice follows
        return _("🔎 Looking for a partner…")
    count = f"{searching.count}+" if searching.more else str(searching.count)
    return _("🔎 Looking for a partner…\nSearching right now, you included: {count}").format(count=count)


async def cmd_search(message: Message, usecases: UseCases, courier: Courier) -> None:
    assert message.from_user is not None
    await search(message, message.from_user.id, usecases, courier)


async def on_search_button(query: CallbackQuery, usecases: UseCases, courier: Courier) -> None:
    await query.answer()
    if isinstance(query.message, Message):
        await search(query.message, query.from_user.id, usecases, courier)


async def cmd_next(message: Message, usecases: UseCases, courier: Courier) -> None:
    assert message.from_user is not None
    closed = await usecases.close_chat(message.from_user.id, "next")
    if closed is not None:
        await courier.announce_chat_end(closed, ended_by=message.from_user.id)
    await search(message, message.from_user.id, usecases, courier)


async def cmd_stop(message: Message, usecases: UseCases, courier: Courier) -> None:
    assert message.from_user is not None
    closed = await usecases.close_chat(message.from_user.id, "stop")
    if closed is not None:
        await courier.announce_chat_end(closed, ended_by=message.from_user.id)
        return
    if await usecases.cancel_search(message.from_user.id):
        await message.answer(_("Search stopped."), reply_markup=reply_keyboard.idle())
        return
    await message.answer(_("You are not in a chat."), reply_markup=reply_keyboard.idle())


async def on_cancel_button(query: CallbackQuery, usecases: UseCases) -> None:
    """The inline Cancel of notices sent before the keyboard under the input field existed."""
    if await usecases.cancel_search(query.from_user.id):
        await query.answer(_("Search stopped."))
        if isinstance(query.message, Message):
            await query.message.edit_reply_markup(reply_markup=None)
            await query.message.answer(_("Search stopped."), reply_markup=reply_keyboard.idle())
    else:
        await query.answer(_("You are not searching."))
