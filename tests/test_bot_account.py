"""/help, /rules, /language, /deleteme, and what a user sees when something breaks."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
from aiogram.methods import EditMessageText
from aiogram.utils.i18n import gettext as _

from roulette.bot.app import App
from roulette.bot.texts import help_text
from roulette.bot.texts import rules_text
from roulette.domain import Language
from roulette.i18n import build_i18n
from roulette.usecases.search import Unpaired
from tests.support.flows import PARTNER_LEFT
from tests.support.flows import after_chat_buttons
from tests.support.flows import button_data
from tests.support.flows import callback_answers
from tests.support.flows import onboard
from tests.support.flows import start_chat
from tests.support.telegram_double import FakeTelegram
from tests.support.telegram_double import callback_update
from tests.support.telegram_double import message_update
from tests.support.telegram_double import tg_user

APOLOGY = "Sorry, something went wrong. Please try again."
WELCOME = (
    "👋 Welcome to <b>Anochat</b> — anonymous one-on-one chats with strangers.\n"
    "Nobody ever sees your name, username or id.\n\n"
    "Let's set up your profile. What is your gender?"
)


def in_language(language: str, text: Callable[[], str]) -> str:
    i18n = build_i18n()
    with i18n.context(), i18n.use_locale(language):
        return text()


def in_russian(text: Callable[[], str]) -> str:
    """A text as the Russian catalog has it; it must differ from the English one."""
    russian = in_language("ru", text)
    assert russian != in_language("en", text), "the Russian catalog has no translation for this text"
    return russian


async def test_help_lists_the_commands_and_rules_list_the_rules(app: App, telegram: FakeTelegram) -> None:
    user = tg_user(6001)
    await app.dispatcher.feed_update(app.bot, message_update(user, "/help"))
    await app.dispatcher.feed_update(app.bot, callback_update(user, "m:help"))
    await app.dispatcher.feed_update(app.bot, message_update(user, "/rules"))

    help_message, from_button, rules = telegram.texts_to(user.id)
    assert rules.startswith("<b>Rules</b>\n1. Be respectful.") and "Adults and minors are never paired" in rules
    assert help_message == from_button
    assert help_message.startswith("<b>Anochat</b> — talk to a random stranger, anonymously.")
    for command in ("/search", "/next", "/stop", "/profile", "/settings", "/language", "/rules", "/deleteme"):
        assert f"\n{command} — " in help_message


async def test_switching_to_russian_changes_the_texts_that_follow(app: App, telegram: FakeTelegram) -> None:
    user = tg_user(6003, "en")
    await onboard(app, user)
    await app.dispatcher.feed_update(app.bot, message_update(user, "/language"))
    assert telegram.last_text_to(user.id) == "Choose the interface language:"
    assert button_data(telegram, user.id) == ["l:en", "l:ru"]

    await app.dispatcher.feed_update(app.bot, callback_update(user, "l:de"))  # not offered
    assert callback_answers(telegram)[-1] == "Please use the buttons."
    await app.dispatcher.feed_update(app.bot, callback_update(user, "l:ru"))

    assert callback_answers(telegram)[-1] == in_russian(lambda: _("Language changed."))
    assert telegram.of_type(EditMessageText)[-1].text == in_russian(lambda: _("The interface is now in English."))
    stored = await app.usecases.get_user(user.id)
    assert stored is not None and stored.language is Language.RU
    await app.dispatcher.feed_update(app.bot, message_update(user, "/help"))
    assert telegram.last_text_to(user.id) == in_russian(help_text)
    await app.dispatcher.feed_update(app.bot, message_update(user, "/rules"))
    assert telegram.last_text_to(user.id) == in_russian(rules_text)

    await app.dispatcher.feed_update(app.bot, callback_update(user, "l:en"))
    await app.dispatcher.feed_update(app.bot, message_update(user, "/help"))
    assert telegram.last_text_to(user.id) == in_language("en", help_text)


async def test_a_user_whose_telegram_is_in_russian_is_greeted_in_russian(app: App, telegram: FakeTelegram) -> None:
    user = tg_user(6004, "ru-RU")
    await app.dispatcher.feed_update(app.bot, message_update(user, "/start"))

    assert telegram.last_text_to(user.id) == in_russian(lambda: _(WELCOME))
    assert "Добро пожаловать в <b>Anochat</b>" in telegram.last_text_to(user.id)
    stored = await app.usecases.get_user(user.id)
    assert stored is not None and stored.language is Language.RU


async def test_deleteme_asks_first_and_no_keeps_everything(app: App, telegram: FakeTelegram) -> None:
    user = tg_user(6010)
    await onboard(app, user, age="33")
    await app.dispatcher.feed_update(app.bot, message_update(user, "/deleteme"))

    assert "It cannot be undone. Continue?" in telegram.last_text_to(user.id)
    assert button_data(telegram, user.id) == ["d:1", "d:0"]

    await app.dispatcher.feed_update(app.bot, callback_update(user, "d:0"))

    assert callback_answers(telegram)[-1] == "Nothing was deleted."
    assert telegram.of_type(EditMessageText)[-1].text == "Nothing was deleted."
    stored = await app.usecases.get_user(user.id)
    assert stored is not None and stored.profile.age == 33


async def test_deleteme_yes_erases_the_user_and_ends_their_chat(app: App, telegram: FakeTelegram) -> None:
    alice, bob = tg_user(6011), tg_user(6012)
    chat_id = await start_chat(app, alice, bob)
    await app.dispatcher.feed_update(app.bot, message_update(alice, "a secret"))
    await app.dispatcher.feed_update(app.bot, message_update(bob, "a reply"))
    await app.dispatcher.feed_update(app.bot, message_update(alice, "/deleteme"))
    telegram.clear()

    await app.dispatcher.feed_update(app.bot, callback_update(alice, "d:1"))

    [goodbye] = telegram.of_type(EditMessageText)
    assert goodbye.text == "All your data has been deleted. Send /start if you ever want to come back."
    assert await app.usecases.get_user(alice.id) is None
    assert telegram.texts_to(bob.id) == PARTNER_LEFT
    assert button_data(telegram, bob.id) == after_chat_buttons(chat_id)
    assert await app.usecases.get_current_chat(bob.id) is Unpaired.IDLE
    assert [item.content.text for item in await app.usecases.get_chat_history(chat_id)] == ["a reply"]
    assert not telegram.texts_to(alice.id)

    # a message typed afterwards goes nowhere, and says how to begin again
    await app.dispatcher.feed_update(app.bot, message_update(alice, "hello?"))
    assert telegram.last_text_to(alice.id) == "Send /start to set up your profile and meet someone."
    assert not telegram.copies_to(bob.id)

    # and they can come back as a newcomer
    await app.dispatcher.feed_update(app.bot, message_update(alice, "/start"))
    assert "What is your gender?" in telegram.last_text_to(alice.id)


# --- errors -------------------------------------------------------------------------------------


async def broken(*_args: object, **_kwargs: object) -> None:
    raise RuntimeError("database on fire")


async def test_an_unexpected_error_gets_an_apology_and_is_logged(
    app: App, telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    user = tg_user(6020)
    await onboard(app, user)
    monkeypatch.setattr(app.usecases, "start_search", broken)

    with caplog.at_level(logging.ERROR, logger="roulette.errors"):
        await app.dispatcher.feed_update(app.bot, message_update(user, "/search"))

    assert telegram.last_text_to(user.id) == APOLOGY
    assert any("RuntimeError: database on fire" in record.getMessage() for record in caplog.records)
    for request in telegram.sent_to(user.id):
        assert "Traceback" not in repr(request) and "database on fire" not in repr(request)


async def test_an_error_behind_a_button_gets_an_apology_in_the_users_language(
    app: App, telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice, bob = tg_user(6021, "ru"), tg_user(6022, "ru")
    chat_id = await start_chat(app, alice, bob)
    await app.dispatcher.feed_update(app.bot, message_update(bob, "/stop"))
    monkeypatch.setattr(app.usecases, "rate_partner", broken)

    await app.dispatcher.feed_update(app.bot, callback_update(alice, f"r:{chat_id}:1"))

    assert telegram.last_text_to(alice.id) == in_russian(lambda: _(APOLOGY))
    partner = await app.usecases.get_user(bob.id)
    assert partner is not None and partner.reputation.likes == 0
