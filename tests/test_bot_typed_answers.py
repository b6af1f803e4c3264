"""Questions answered by typing, asked while the user is in a chat: nothing typed to the partner is
swallowed. Only an age sent right after the bot said the next message goes to it is taken."""

from __future__ import annotations

from aiogram.methods import CopyMessage
from aiogram.types import User

from roulette.bot.app import App
from tests.support.flows import onboard
from tests.support.flows import start_chat
from tests.support.telegram_double import FakeTelegram
from tests.support.telegram_double import callback_update
from tests.support.telegram_double import message_update
from tests.support.telegram_double import photo
from tests.support.telegram_double import tg_user

PROMPT_IN_CHAT = (
    "✏️ Your next message goes to the bot, not to your partner: how old are you? Send a number from 13 to 99. "
    "Anything else you send goes to your partner as usual."
)


async def saved_age(app: App, user_id: int) -> int | None:
    user = await app.usecases.get_user(user_id)
    assert user is not None
    return user.profile.age


async def asked_age_in_a_chat(app: App, first_id: int) -> tuple[User, User]:
    """Two users in a chat, the first of whom pressed Edit age."""
    alice, bob = tg_user(first_id), tg_user(first_id + 1)
    await start_chat(app, alice, bob)
    await app.dispatcher.feed_update(app.bot, callback_update(alice, "pe:age"))
    return alice, bob


def copied(telegram: FakeTelegram, chat_id: int) -> list[int]:
    return [copy.message_id for copy in telegram.of_type(CopyMessage) if copy.chat_id == chat_id]


async def test_in_a_chat_edit_age_says_the_next_message_goes_to_the_bot_and_takes_an_age(
    app: App, telegram: FakeTelegram
) -> None:
    alice, bob = await asked_age_in_a_chat(app, 7101)

    assert telegram.last_text_to(alice.id) == PROMPT_IN_CHAT
    await app.dispatcher.feed_update(app.bot, message_update(alice, "31"))

    assert "Age: 31" in telegram.last_text_to(alice.id)
    assert await saved_age(app, alice.id) == 31
    assert not telegram.copies_to(bob.id)


async def test_in_a_chat_a_message_that_is_no_age_goes_to_the_partner_and_closes_the_question(
    app: App, telegram: FakeTelegram
) -> None:
    alice, bob = await asked_age_in_a_chat(app, 7111)

    question = message_update(alice, "hold on, how old are you?")
    await app.dispatcher.feed_update(app.bot, question)
    answer = message_update(alice, "19")  # answering the partner, not the bot: the question is closed
    await app.dispatcher.feed_update(app.bot, answer)

    assert question.message is not None and answer.message is not None
    assert copied(telegram, bob.id) == [question.message.message_id, answer.message.message_id]
    assert await saved_age(app, alice.id) == 25
    assert "That doesn't look like an age" not in " ".join(telegram.texts_to(alice.id))


async def test_in_a_chat_a_photo_after_the_question_goes_to_the_partner(app: App, telegram: FakeTelegram) -> None:
    alice, bob = await asked_age_in_a_chat(app, 7121)

    sent = message_update(alice, photo=photo())
    await app.dispatcher.feed_update(app.bot, sent)

    assert sent.message is not None
    assert copied(telegram, bob.id) == [sent.message.message_id]


async def test_a_question_asked_before_the_chat_began_takes_nothing_typed_in_it(
    app: App, telegram: FakeTelegram
) -> None:
    alice, bob = tg_user(7131), tg_user(7132)
    await onboard(app, alice)
    await onboard(app, bob)
    await app.dispatcher.feed_update(app.bot, message_update(alice, "/search"))
    await app.dispatcher.feed_update(app.bot, callback_update(alice, "pe:age"))  # while searching
    assert telegram.last_text_to(alice.id) == "How old are you? Send a number from 13 to 99."
    await app.dispatcher.feed_update(app.bot, message_update(bob, "/search"))  # and then paired
    await app.dispatcher.feed_update(app.bot, message_update(bob, "how old are you?"))

    reply = message_update(alice, "19")
    await app.dispatcher.feed_update(app.bot, reply)

    assert reply.message is not None and copied(telegram, bob.id) == [reply.message.message_id]
    assert await saved_age(app, alice.id) == 25
