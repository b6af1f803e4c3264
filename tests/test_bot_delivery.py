"""When Telegram says no: a partner who blocked the bot, and flood limits (429)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiogram.exceptions import TelegramServerError
from aiogram.methods import AnswerCallbackQuery
from aiogram.methods import CopyMessage
from aiogram.methods import SendMessage
from aiogram.methods import TelegramMethod

from roulette.bot.app import App
from roulette.usecases.search import Unpaired
from tests.support.flows import PARTNER_LEFT
from tests.support.flows import after_chat_buttons
from tests.support.flows import button_data
from tests.support.flows import onboard
from tests.support.flows import start_chat
from tests.support.telegram_double import FakeTelegram
from tests.support.telegram_double import callback_update
from tests.support.telegram_double import message_update
from tests.support.telegram_double import my_chat_member_update
from tests.support.telegram_double import tg_user


async def test_a_partner_who_blocked_the_bot_ends_the_chat_at_the_next_message(
    app: App, telegram: FakeTelegram
) -> None:
    alice, bob = tg_user(7001), tg_user(7002)
    chat_id = await start_chat(app, alice, bob)
    telegram.blocked.add(bob.id)
    telegram.clear()

    await app.dispatcher.feed_update(app.bot, message_update(alice, "are you there?"))

    assert telegram.texts_to(alice.id) == PARTNER_LEFT
    assert button_data(telegram, alice.id) == after_chat_buttons(chat_id)
    for user in (alice, bob):
        assert await app.usecases.get_current_chat(user.id) is Unpaired.IDLE
    assert (await app.usecases.get_stats()).active_chats == 0


async def test_blocking_the_bot_ends_the_chat_and_tells_the_partner(app: App, telegram: FakeTelegram) -> None:
    alice, bob = tg_user(7011), tg_user(7012)
    chat_id = await start_chat(app, alice, bob)
    telegram.clear()

    await app.dispatcher.feed_update(app.bot, my_chat_member_update(bob, "kicked"))

    assert telegram.texts_to(alice.id) == PARTNER_LEFT
    assert button_data(telegram, alice.id) == after_chat_buttons(chat_id)
    assert not telegram.sent_to(bob.id)  # nothing can reach a user who blocked the bot
    for user in (alice, bob):
        assert await app.usecases.get_current_chat(user.id) is Unpaired.IDLE


async def test_blocking_the_bot_while_searching_leaves_the_queue(app: App, telegram: FakeTelegram) -> None:
    alice, bob = tg_user(7021), tg_user(7022)
    await onboard(app, bob)
    await app.dispatcher.feed_update(app.bot, message_update(bob, "/search"))

    await app.dispatcher.feed_update(app.bot, my_chat_member_update(bob, "kicked"))

    assert await app.usecases.get_current_chat(bob.id) is Unpaired.IDLE
    await onboard(app, alice)
    await app.dispatcher.feed_update(app.bot, message_update(alice, "/search"))
    assert await app.usecases.get_current_chat(alice.id) is Unpaired.SEARCHING


async def test_unblocking_the_bot_makes_the_user_findable_again(app: App, telegram: FakeTelegram) -> None:
    alice, bob = tg_user(7031), tg_user(7032)
    await start_chat(app, alice, bob)
    await app.dispatcher.feed_update(app.bot, my_chat_member_update(bob, "kicked"))

    await app.dispatcher.feed_update(app.bot, my_chat_member_update(bob, "member"))
    await start_chat(app, bob, alice)  # both search, and find each other


async def test_a_copy_refused_with_429_is_retried_after_the_wait_and_delivered_once(
    app: App, telegram: FakeTelegram
) -> None:
    alice, bob = tg_user(7041), tg_user(7042)
    chat_id = await start_chat(app, alice, bob)
    telegram.clear()
    telegram.rate_limit_next(CopyMessage, retry_after=1, chat_id=bob.id)
    first, second = message_update(alice, "one"), message_update(alice, "two")
    assert first.message is not None and second.message is not None

    started = time.monotonic()
    await asyncio.gather(*(app.dispatcher.feed_update(app.bot, update) for update in (first, second)))

    assert time.monotonic() - started >= 1
    # the first attempt was refused; then each message once, in the order sent
    attempts = [copy.message_id for copy in telegram.copies_to(bob.id)]
    assert attempts == [first.message.message_id, first.message.message_id, second.message.message_id]
    stored = await app.usecases.get_chat_history(chat_id)
    assert [item.content.text for item in stored] == ["one", "two"]
    assert all(item.relayed_message_id is not None for item in stored)
    assert not telegram.sent_to(alice.id)


async def test_messages_sent_in_a_burst_arrive_in_the_order_sent(app: App, telegram: FakeTelegram) -> None:
    alice, bob = tg_user(7051), tg_user(7052)
    await start_chat(app, alice, bob)
    telegram.clear()
    burst = [message_update(alice, f"part {n}") for n in range(8)]

    await asyncio.gather(*(app.dispatcher.feed_update(app.bot, update) for update in burst))

    sent_ids = [update.message.message_id for update in burst if update.message is not None]
    assert [copy.message_id for copy in telegram.copies_to(bob.id)] == sent_ids


async def test_a_plain_answer_refused_with_429_is_sent_after_the_wait(app: App, telegram: FakeTelegram) -> None:
    # /help is answered with message.answer, not through the Courier: the retry is the session's.
    user = tg_user(7061)
    telegram.rate_limit_next(SendMessage, retry_after=1, chat_id=user.id)

    await app.dispatcher.feed_update(app.bot, message_update(user, "/help"))

    helps = [text for text in telegram.texts_to(user.id) if text.startswith("<b>Anochat</b>")]
    assert len(helps) == 2  # refused once, then delivered
    assert "Sorry, something went wrong" not in telegram.last_text_to(user.id)


def bad_gateway(method: TelegramMethod[Any]) -> Exception:
    return TelegramServerError(method, "Bad Gateway")


async def test_a_server_error_is_retried_only_where_repeating_cannot_duplicate(
    app: App, telegram: FakeTelegram
) -> None:
    user = tg_user(7071)
    await onboard(app, user)
    telegram.clear()
    telegram.fail_next(AnswerCallbackQuery, bad_gateway)

    await app.dispatcher.feed_update(app.bot, callback_update(user, "zz:stale"))

    assert [answer.text for answer in telegram.of_type(AnswerCallbackQuery)] == ["This button is no longer active."] * 2

    telegram.clear()
    telegram.fail_next(SendMessage, bad_gateway, chat_id=user.id)
    await app.dispatcher.feed_update(app.bot, message_update(user, "/rules"))

    # Telegram may have shown the first one: not sent again (the apology that follows is another text)
    rules = [text for text in telegram.texts_to(user.id) if text.startswith("<b>Rules</b>")]
    assert len(rules) == 1
