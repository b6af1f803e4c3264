"""The wall between adults and minors through the real Dispatcher: age edits that would cross 18,
partner ages outside one's own class, and an admin's correction."""

from __future__ import annotations

from typing import Any

import asyncpg
from aiogram.methods import AnswerCallbackQuery
from aiogram.methods import CopyMessage

from roulette.bot.app import App
from roulette.invariants import find_violations
from roulette.usecases.search import InChat
from roulette.usecases.search import Unpaired
from tests.support.flows import ADMIN_ID
from tests.support.flows import PARTNER_LEFT
from tests.support.flows import YOU_LEFT
from tests.support.flows import button_data
from tests.support.flows import onboard
from tests.support.flows import start_chat
from tests.support.telegram_double import FakeTelegram
from tests.support.telegram_double import callback_update
from tests.support.telegram_double import message_update
from tests.support.telegram_double import tg_user

REFUSED = (
    "Your age can only be changed within the group you signed up in: under 18, or 18 and over. "
    "Your profile is unchanged."
)
ADMIN = tg_user(ADMIN_ID, first_name="Admin")


async def saved_age(app: App, user_id: int) -> int | None:
    user = await app.usecases.get_user(user_id)
    assert user is not None
    return user.profile.age


async def test_an_adult_in_a_chat_cannot_become_15_and_the_chat_goes_on(
    app: App, telegram: FakeTelegram, pool: asyncpg.Pool[Any]
) -> None:
    alice, bob = tg_user(7001), tg_user(7002)
    chat_id = await start_chat(app, alice, bob)
    telegram.clear()

    await app.dispatcher.feed_update(app.bot, callback_update(alice, "pe:age"))
    await app.dispatcher.feed_update(app.bot, message_update(alice, "15"))

    assert telegram.last_text_to(alice.id) == REFUSED
    assert await saved_age(app, alice.id) == 25
    assert await app.usecases.get_current_chat(alice.id) == InChat(chat_id, bob.id)
    assert not telegram.sent_to(bob.id)  # nothing reached the partner, least of all a reason
    assert await find_violations(pool) == []
    # the question is closed: what follows goes to the partner
    await app.dispatcher.feed_update(app.bot, message_update(alice, "sorry, where were we"))
    assert len(telegram.copies_to(bob.id)) == 1


async def test_a_minor_can_change_their_age_up_to_17_but_not_to_18(app: App, telegram: FakeTelegram) -> None:
    teen = tg_user(7011)
    await onboard(app, teen, age="15")

    await app.dispatcher.feed_update(app.bot, callback_update(teen, "pe:age"))
    await app.dispatcher.feed_update(app.bot, message_update(teen, "18"))
    assert telegram.last_text_to(teen.id) == REFUSED
    assert await saved_age(app, teen.id) == 15

    await app.dispatcher.feed_update(app.bot, callback_update(teen, "pe:age"))
    await app.dispatcher.feed_update(app.bot, message_update(teen, "17"))
    assert "Age: 17" in telegram.last_text_to(teen.id)
    assert await saved_age(app, teen.id) == 17


# --- partner ages ---------------------------------------------------------------------------------


async def test_a_minors_settings_offer_and_say_only_ages_under_18(app: App, telegram: FakeTelegram) -> None:
    teen = tg_user(7021)
    await onboard(app, teen, age="15")
    await app.dispatcher.feed_update(app.bot, message_update(teen, "/settings"))

    card = telegram.last_text_to(teen.id)
    assert "Partner age: 13–17" in card and card.endswith("\nPartners can be 13–17 years old.")
    ages = [data for data in button_data(telegram, teen.id) if data.startswith("pf:age:")]
    assert ages == ["pf:age:13-15", "pf:age:16-17", "pf:age:13-17"]

    await app.dispatcher.feed_update(app.bot, callback_update(teen, "pf:age:25-34"))  # an old or forged button
    answer = telegram.of_type(AnswerCallbackQuery)[-1]
    assert answer.text == "Partners can be 13–17 years old." and answer.show_alert
    await app.dispatcher.feed_update(app.bot, callback_update(teen, "pf:age:16-17"))
    user = await app.usecases.get_user(teen.id)
    assert user is not None and (user.preferences.age_min, user.preferences.age_max) == (16, 17)


async def test_an_adult_cannot_save_a_partner_age_of_13_to_17(app: App, telegram: FakeTelegram) -> None:
    adult = tg_user(7022)
    await onboard(app, adult, age="30")
    await app.dispatcher.feed_update(app.bot, callback_update(adult, "pf:age:25-34"))

    await app.dispatcher.feed_update(app.bot, callback_update(adult, "pf:age:13-17"))

    answer = telegram.of_type(AnswerCallbackQuery)[-1]
    assert answer.text == "Partners can be 18–99 years old." and answer.show_alert
    user = await app.usecases.get_user(adult.id)
    assert user is not None and (user.preferences.age_min, user.preferences.age_max) == (25, 34)


# --- an admin's correction ------------------------------------------------------------------------


async def test_an_admin_sets_an_age_across_18_and_the_chat_ends_without_a_word_about_age(
    app: App, telegram: FakeTelegram, pool: asyncpg.Pool[Any]
) -> None:
    alice, bob = tg_user(7031), tg_user(7032)
    await start_chat(app, alice, bob)
    telegram.clear()

    await app.dispatcher.feed_update(app.bot, message_update(ADMIN, f"/setage {bob.id} 16"))

    assert telegram.last_text_to(ADMIN.id) == "Age set to 16."
    assert telegram.texts_to(alice.id) == PARTNER_LEFT
    assert telegram.texts_to(bob.id) == [*YOU_LEFT, "A moderator has set your age to 16."]
    assert await saved_age(app, bob.id) == 16
    assert await app.usecases.get_current_chat(alice.id) is Unpaired.IDLE
    assert await pool.fetchval("SELECT count(*) FROM admin_audit WHERE action = 'set_age'") == 1
    assert await find_violations(pool) == []


async def test_setage_explains_its_usage_and_is_an_ordinary_message_from_anyone_else(
    app: App, telegram: FakeTelegram
) -> None:
    for command in ("/setage", "/setage 5", "/setage abc 20", "/setage 5 12", "/setage 5 100", "/setage 5 20 1"):
        await app.dispatcher.feed_update(app.bot, message_update(ADMIN, command))
        assert telegram.last_text_to(ADMIN.id) == "Usage: /setage USER_ID|REPORT_TOKEN AGE (an age from 13 to 99)"
    await app.dispatcher.feed_update(app.bot, message_update(ADMIN, "/setage 123456 20"))
    assert telegram.last_text_to(ADMIN.id) == "No such user."
    await app.dispatcher.feed_update(app.bot, message_update(ADMIN, "/setage 00000000-0000-0000-0000-000000000001 20"))
    assert telegram.last_text_to(ADMIN.id) == "This report no longer exists."

    alice, bob = tg_user(7041), tg_user(7042)
    await start_chat(app, alice, bob)
    await app.dispatcher.feed_update(app.bot, message_update(alice, f"/setage {bob.id} 15"))
    assert [copy.chat_id for copy in telegram.of_type(CopyMessage)] == [bob.id]  # relayed like any text
    assert await saved_age(app, bob.id) == 25
