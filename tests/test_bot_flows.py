"""The main user journey through the real Dispatcher: onboarding, pairing, relay, leaving, rating."""

from __future__ import annotations

from aiogram.methods import AnswerCallbackQuery
from aiogram.methods import CopyMessage

from roulette.bot.app import App
from tests.support.flows import button_data
from tests.support.flows import onboard
from tests.support.telegram_double import FakeTelegram
from tests.support.telegram_double import callback_update
from tests.support.telegram_double import message_update
from tests.support.telegram_double import tg_user


async def test_two_new_users_onboard_pair_talk_and_rate_each_other(app: App, telegram: FakeTelegram) -> None:
    alice, bob = tg_user(1001, "en", "Alice"), tg_user(1002, "en", "Bob")
    await onboard(app, alice, gender="female", age="24", interests=("music", "books"))
    await onboard(app, bob, age="26", interests=("music",))
    assert "All set" in telegram.last_text_to(alice.id)

    await app.dispatcher.feed_update(app.bot, message_update(alice, "/search"))
    assert "Looking for a partner" in telegram.last_text_to(alice.id)
    await app.dispatcher.feed_update(app.bot, message_update(bob, "/search"))
    assert "Partner found" in telegram.last_text_to(alice.id)
    notice_to_bob = telegram.last_text_to(bob.id)
    for secret in ("Alice", "user1001", "1001"):
        assert secret not in notice_to_bob

    telegram.clear()
    hello = message_update(alice, "hello there")
    await app.dispatcher.feed_update(app.bot, hello)
    copies = telegram.copies_to(bob.id)
    assert len(copies) == 1 and copies[0].from_chat_id == alice.id
    assert hello.message is not None and copies[0].message_id == hello.message.message_id

    await app.dispatcher.feed_update(app.bot, message_update(bob, "/stop"))
    data = button_data(telegram, alice.id)
    rate_up = next(item for item in data if item.startswith("r:") and item.endswith(":1"))
    await app.dispatcher.feed_update(app.bot, callback_update(alice, rate_up))
    await app.dispatcher.feed_update(app.bot, callback_update(alice, rate_up))
    answers = [request.text for request in telegram.of_type(AnswerCallbackQuery)]
    assert answers[-2:] == ["Thanks for the feedback!", "You have already rated this chat."]
    user = await app.usecases.get_user(bob.id)
    assert user is not None and user.reputation.likes == 1
    assert not [r for r in telegram.requests if isinstance(r, CopyMessage) and r.chat_id == alice.id]
