"""Driving the real Dispatcher through a user's journey, shared by the bot and reliability tests."""

from __future__ import annotations

from aiogram.methods import AnswerCallbackQuery
from aiogram.types import ReplyKeyboardMarkup
from aiogram.types import Update
from aiogram.types import User

from roulette.bot.app import App
from roulette.usecases.search import InChat
from tests.support.telegram_double import FakeTelegram
from tests.support.telegram_double import callback_update
from tests.support.telegram_double import message_update

ADMIN_ID = 900_000_001
PARTNER_LEFT = ["Your partner has left the chat.\n/search — find a new partner", "How was it?"]
YOU_LEFT = ["The chat is over.", "How was your partner?"]
IDLE_KEYBOARD = [["🔎 Search", "👤 Profile"], ["⚙️ Settings", "❓ Help"]]
SEARCHING_KEYBOARD = [["✖️ Cancel"]]
CHAT_KEYBOARD = [["⏭ Next", "⏹ Stop"]]
HINT = "You are not in a chat right now.\n/search — find a partner · /profile — your profile · /help"


async def feed(app: App, *updates: Update) -> None:
    """Hand the updates to the dispatcher one after the other, as the poller does."""
    for update in updates:
        await app.dispatcher.feed_update(app.bot, update)


async def onboard(
    app: App, user: User, *, gender: str = "male", age: str = "25", interests: tuple[str, ...] = ()
) -> None:
    await feed(
        app,
        message_update(user, "/start"),
        callback_update(user, f"g:{gender}:0"),
        message_update(user, age),
        *(callback_update(user, f"i:{tag}:0") for tag in interests),
        callback_update(user, "i:done:0"),
    )


def button_data(telegram: FakeTelegram, chat_id: int) -> list[str]:
    markup = telegram.last_markup_to(chat_id)
    assert markup is not None
    return [button.callback_data or "" for row in markup.inline_keyboard for button in row]


def reply_keyboard(telegram: FakeTelegram, chat_id: int) -> list[list[str]] | None:
    """The labels of the keyboard under the input field, as the last message that set one left it."""
    for request in reversed(telegram.sent_to(chat_id)):
        markup = getattr(request, "reply_markup", None)
        if isinstance(markup, ReplyKeyboardMarkup):
            return [[button.text for button in row] for row in markup.keyboard]
    return None


def callback_answers(telegram: FakeTelegram) -> list[str | None]:
    return [request.text for request in telegram.of_type(AnswerCallbackQuery)]


async def start_chat(app: App, first: User, second: User) -> int:
    """Onboard both (if needed), let both search; the id of the chat they end up in."""
    for user in (first, second):
        if await app.usecases.get_user(user.id) is None:
            await onboard(app, user)
        await app.dispatcher.feed_update(app.bot, message_update(user, "/search"))
    status = await app.usecases.get_current_chat(first.id)
    assert isinstance(status, InChat) and status.partner_id == second.id
    return status.chat_id


def after_chat_buttons(chat_id: int) -> list[str]:
    return [f"r:{chat_id}:1", f"r:{chat_id}:-1", f"rp:{chat_id}::1:0", f"b:{chat_id}", f"ag:{chat_id}"]


async def ended_chat(app: App, first: User, second: User) -> int:
    """Both paired, then the second left; the id of the ended chat."""
    chat_id = await start_chat(app, first, second)
    await app.dispatcher.feed_update(app.bot, message_update(second, "/stop"))
    return chat_id
