"""Anochat only talks in private chats: in a group it was added to, it stays silent."""

from __future__ import annotations

from roulette.bot.app import App
from roulette.usecases.search import InChat
from tests.support.flows import start_chat
from tests.support.telegram_double import FakeTelegram
from tests.support.telegram_double import group_message_update
from tests.support.telegram_double import my_chat_member_update
from tests.support.telegram_double import tg_user

GROUP_ID = -100_123


async def test_commands_in_a_group_get_no_answer_and_change_nothing(app: App, telegram: FakeTelegram) -> None:
    alice, bob = tg_user(8001), tg_user(8002)
    chat_id = await start_chat(app, alice, bob)
    telegram.clear()

    for text in ("/start", "/profile", "/search", "/help", "/stop", "/next", "/deleteme", "hello", "/stats"):
        await app.dispatcher.feed_update(app.bot, group_message_update(alice, GROUP_ID, text))

    assert telegram.requests == []  # not even the profile, which would tell the group her age and gender
    assert await app.usecases.get_current_chat(alice.id) == InChat(chat_id, bob.id)


async def test_removing_the_bot_from_a_group_is_not_blocking_it(app: App, telegram: FakeTelegram) -> None:
    alice, bob = tg_user(8011), tg_user(8012)
    chat_id = await start_chat(app, alice, bob)
    telegram.clear()

    await app.dispatcher.feed_update(app.bot, my_chat_member_update(bob, "kicked", group_id=GROUP_ID))

    assert telegram.requests == []
    assert await app.usecases.get_current_chat(alice.id) == InChat(chat_id, bob.id)
