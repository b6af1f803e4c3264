"""A change in /settings or /profile applies the pairing rules at once, through the real Dispatcher:
a chat the pair could no longer start ends with the usual notices, a waiting user is paired under
the new wishes."""

from __future__ import annotations

import pytest

from roulette.bot.app import App
from roulette.usecases.search import InChat
from roulette.usecases.search import Unpaired
from tests.support.flows import PARTNER_LEFT
from tests.support.flows import YOU_LEFT
from tests.support.flows import callback_answers
from tests.support.flows import onboard
from tests.support.flows import start_chat
from tests.support.telegram_double import FakeTelegram
from tests.support.telegram_double import callback_update
from tests.support.telegram_double import message_update
from tests.support.telegram_double import tg_user


async def test_a_wish_that_rules_out_the_partner_ends_the_chat_and_both_hear_only_that_it_ended(
    app: App, telegram: FakeTelegram
) -> None:
    alice, bob = tg_user(7201), tg_user(7202)
    await onboard(app, alice, gender="female")
    await start_chat(app, alice, bob)
    telegram.clear()

    await app.dispatcher.feed_update(app.bot, callback_update(bob, "pf:gender:male"))

    assert callback_answers(telegram)[-1] == "Saved"
    assert telegram.texts_to(alice.id) == PARTNER_LEFT  # nothing about why
    assert telegram.texts_to(bob.id) == YOU_LEFT
    assert await app.usecases.get_current_chat(alice.id) is Unpaired.IDLE


@pytest.mark.parametrize(
    ("apart", "together", "found"),
    [
        # he wants men, she is a woman; then he wants anyone
        ("pf:gender:male", ("bob", "pf:gender:any"), "🎉 Partner found!"),
        # he speaks Russian, she English, each wants their own; then she switches to Russian
        ("l:ru", ("alice", "l:ru"), "🎉 Собеседник найден!"),
    ],
    ids=["a wider wish", "a language switch"],
)
async def test_a_waiting_user_whose_change_meets_someone_already_waiting_is_paired_with_them(
    app: App, telegram: FakeTelegram, apart: str, together: tuple[str, str], found: str
) -> None:
    alice, bob = tg_user(7211), tg_user(7212)
    await onboard(app, alice, gender="female")
    await onboard(app, bob)
    await app.dispatcher.feed_update(app.bot, callback_update(bob, apart))
    for user in (bob, alice):
        await app.dispatcher.feed_update(app.bot, message_update(user, "/search"))
    assert await app.usecases.get_current_chat(alice.id) is Unpaired.SEARCHING

    who, change = together
    await app.dispatcher.feed_update(app.bot, callback_update({"alice": alice, "bob": bob}[who], change))

    assert telegram.last_text_to(alice.id).startswith(found)
    assert any(text.startswith(found) for text in telegram.texts_to(bob.id))
    status = await app.usecases.get_current_chat(bob.id)
    assert isinstance(status, InChat) and status.partner_id == alice.id
