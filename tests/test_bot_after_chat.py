"""The buttons under an ended chat: 👍 / 👎, report and block; and buttons that mean nothing."""

from __future__ import annotations

from aiogram.methods import AnswerCallbackQuery
from aiogram.methods import EditMessageReplyMarkup
from aiogram.methods import EditMessageText
from aiogram.types import User

from roulette.bot.app import App
from roulette.domain import Reputation
from roulette.usecases.search import InChat
from roulette.usecases.search import Unpaired
from tests.support.flows import ADMIN_ID
from tests.support.flows import callback_answers
from tests.support.flows import onboard
from tests.support.flows import start_chat
from tests.support.telegram_double import FakeTelegram
from tests.support.telegram_double import callback_update
from tests.support.telegram_double import message_update
from tests.support.telegram_double import tg_user

NO_LONGER_ACTIVE = "This button is no longer active."


async def reputation(app: App, user: User) -> Reputation:
    found = await app.usecases.get_user(user.id)
    assert found is not None
    return found.reputation


async def ended_chat(app: App, first: User, second: User) -> int:
    chat_id = await start_chat(app, first, second)
    await app.dispatcher.feed_update(app.bot, message_update(second, "/stop"))
    return chat_id


async def press(app: App, user: User, data: str) -> None:
    await app.dispatcher.feed_update(app.bot, callback_update(user, data))


async def test_a_like_or_a_dislike_counts_once_per_chat(app: App, telegram: FakeTelegram) -> None:
    alice, bob = tg_user(5001), tg_user(5002)
    chat_id = await ended_chat(app, alice, bob)

    telegram.clear()
    await press(app, alice, f"r:{chat_id}:1")
    assert callback_answers(telegram)[-1] == "Thanks for the feedback!"
    [edited] = telegram.of_type(EditMessageText)
    assert edited.text.endswith("\n\n✔️ 👍") and edited.reply_markup is not None
    remaining = [button.callback_data for row in edited.reply_markup.inline_keyboard for button in row]
    assert remaining == [f"rp:{chat_id}::1:0", f"b:{chat_id}", f"ag:{chat_id}"]

    await press(app, alice, f"r:{chat_id}:1")
    await press(app, alice, f"r:{chat_id}:-1")
    assert callback_answers(telegram)[-2:] == ["You have already rated this chat."] * 2
    assert await reputation(app, bob) == Reputation(likes=1, dislikes=0)

    await press(app, bob, f"r:{chat_id}:-1")
    assert callback_answers(telegram)[-1] == "Thanks for the feedback!"
    assert await reputation(app, alice) == Reputation(likes=0, dislikes=1)
    assert await reputation(app, bob) == Reputation(likes=1, dislikes=0)


async def test_buttons_of_someone_elses_chat_do_nothing(app: App, telegram: FakeTelegram) -> None:
    alice, bob, mallory = tg_user(5021), tg_user(5022), tg_user(5023)
    chat_id = await ended_chat(app, alice, bob)
    await onboard(app, mallory)
    telegram.clear()

    for data in (f"r:{chat_id}:1", f"r:{chat_id}:-1", f"rp:{chat_id}:spam:1:0", f"b:{chat_id}"):
        await press(app, mallory, data)

    assert callback_answers(telegram) == [NO_LONGER_ACTIVE] * 4
    assert await reputation(app, alice) == await reputation(app, bob) == Reputation()
    assert (await app.usecases.get_stats()).open_reports == 0
    await app.dispatcher.feed_update(app.bot, message_update(alice, "/search"))
    await app.dispatcher.feed_update(app.bot, message_update(mallory, "/search"))
    assert isinstance(await app.usecases.get_current_chat(mallory.id), InChat)  # nobody was blocked


async def test_stale_or_forged_buttons_are_answered_and_change_nothing(app: App, telegram: FakeTelegram) -> None:
    alice, bob = tg_user(5031), tg_user(5032)
    chat_id = await ended_chat(app, alice, bob)
    telegram.clear()
    pressed = ["zz:1", "r:notanumber:1", "", f"r:{chat_id}:7", f"r:{chat_id}:0", "r:999999:1", "m:nowhere", "rp:x::1:0"]

    for data in pressed:
        await press(app, alice, data)

    assert callback_answers(telegram) == [NO_LONGER_ACTIVE] * len(pressed)
    assert await reputation(app, bob) == Reputation()
    assert [request for request in telegram.requests if not isinstance(request, AnswerCallbackQuery)] == []


async def test_a_vote_while_the_chat_goes_on_changes_nothing(app: App, telegram: FakeTelegram) -> None:
    alice, bob = tg_user(5041), tg_user(5042)
    chat_id = await start_chat(app, alice, bob)

    await press(app, alice, f"r:{chat_id}:1")

    assert callback_answers(telegram)[-1] == "The chat is still going on."
    assert await reputation(app, bob) == Reputation()
    await press(app, alice, f"r:{chat_id}:1")  # still counts once the chat is over
    await app.dispatcher.feed_update(app.bot, message_update(alice, "/stop"))
    await press(app, alice, f"r:{chat_id}:1")
    assert await reputation(app, bob) == Reputation(likes=1)


async def test_a_report_asks_for_a_reason_then_reaches_the_moderators(app: App, telegram: FakeTelegram) -> None:
    alice, bob = tg_user(5051), tg_user(5052)
    chat_id = await ended_chat(app, alice, bob)

    await press(app, alice, f"rp:{chat_id}::1:0")
    reasons = telegram.of_type(EditMessageReplyMarkup)[-1].reply_markup
    assert [button.callback_data for row in reasons.inline_keyboard for button in row] == [
        f"rp:{chat_id}:spam:1:0",
        f"rp:{chat_id}:abuse:1:0",
        f"rp:{chat_id}:minor:1:0",
        f"rp:{chat_id}:other:1:0",
        f"rp:{chat_id}::0:0",
    ]
    assert [button.text for row in reasons.inline_keyboard for button in row] == [
        "Spam or ads",
        "Abuse or harassment",
        "Seems underage / adult among teens",
        "Something else",
        "☑️ Also block this person",
    ]

    await press(app, alice, f"rp:{chat_id}:abuse:1:0")

    answer = telegram.of_type(AnswerCallbackQuery)[-1]
    assert answer.text == "Thank you. The report was sent to the moderators, and this person is blocked."
    assert answer.show_alert
    reported = telegram.of_type(EditMessageText)[-1]
    assert reported.text.endswith("\n\n✔️ 🚩 Abuse or harassment") and reported.reply_markup is None
    assert (await app.usecases.get_stats()).open_reports == 1
    assert telegram.texts_to(ADMIN_ID) == ["🚩 New report: Abuse or harassment. /reports — the queue"]

    await press(app, alice, f"rp:{chat_id}:spam:1:0")
    await press(app, alice, f"rp:{chat_id}:rude:1:0")
    assert callback_answers(telegram)[-2:] == ["You have already reported this chat.", "Please use the buttons."]
    assert (await app.usecases.get_stats()).open_reports == 1


async def test_blocked_partners_are_never_paired_again(app: App, telegram: FakeTelegram) -> None:
    alice, bob, carol = tg_user(5061), tg_user(5062), tg_user(5063)
    chat_id = await ended_chat(app, alice, bob)

    await press(app, alice, f"b:{chat_id}")
    answer = telegram.of_type(AnswerCallbackQuery)[-1]
    assert answer.text == "Blocked. You will never be paired with this person again." and answer.show_alert
    blocked = telegram.of_type(EditMessageText)[-1]  # the rating message loses its buttons
    assert blocked.text.endswith("\n\n✔️ ⛔ Blocked") and blocked.reply_markup is None

    await app.dispatcher.feed_update(app.bot, message_update(alice, "/search"))
    await app.dispatcher.feed_update(app.bot, message_update(bob, "/search"))
    for user in (alice, bob):
        assert await app.usecases.get_current_chat(user.id) is Unpaired.SEARCHING

    # both are still matched with everybody else
    await onboard(app, carol)
    await app.dispatcher.feed_update(app.bot, message_update(carol, "/search"))
    status = await app.usecases.get_current_chat(carol.id)
    assert isinstance(status, InChat) and status.partner_id == alice.id
    assert await app.usecases.get_current_chat(bob.id) is Unpaired.SEARCHING
