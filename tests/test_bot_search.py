"""/search, /stop, /next and the search buttons, through the real Dispatcher."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from aiogram.methods import EditMessageReplyMarkup
from aiogram.methods import SendMessage
from aiogram.types import InlineKeyboardMarkup

from roulette.bot.app import App
from roulette.usecases.search import InChat
from roulette.usecases.search import Unpaired
from tests.support.flows import ADMIN_ID
from tests.support.flows import CHAT_KEYBOARD
from tests.support.flows import IDLE_KEYBOARD
from tests.support.flows import PARTNER_LEFT
from tests.support.flows import SEARCHING_KEYBOARD
from tests.support.flows import YOU_LEFT
from tests.support.flows import after_chat_buttons
from tests.support.flows import button_data
from tests.support.flows import callback_answers
from tests.support.flows import onboard
from tests.support.flows import reply_keyboard
from tests.support.flows import start_chat
from tests.support.telegram_double import FakeTelegram
from tests.support.telegram_double import callback_update
from tests.support.telegram_double import message_update
from tests.support.telegram_double import tg_user

LOOKING = "🔎 Looking for a partner…\nSearching right now, you included: 1"


async def test_search_waits_with_a_cancel_button(app: App, telegram: FakeTelegram) -> None:
    loner = tg_user(3001)
    await onboard(app, loner)
    assert reply_keyboard(telegram, loner.id) == IDLE_KEYBOARD
    await app.dispatcher.feed_update(app.bot, message_update(loner, "/search"))

    assert telegram.last_text_to(loner.id) == LOOKING
    assert reply_keyboard(telegram, loner.id) == SEARCHING_KEYBOARD
    assert await app.usecases.get_current_chat(loner.id) is Unpaired.SEARCHING


async def test_pairing_tells_both_the_partners_reputation_and_shared_interests_and_nothing_identifying(
    app: App, telegram: FakeTelegram
) -> None:
    alice = tg_user(3011, first_name="Alice")
    bob = tg_user(3012, first_name="Bobby")
    carol = tg_user(3013, first_name="Carol")
    await onboard(app, alice, gender="female", age="24", interests=("music", "books"))
    await onboard(app, bob, age="26", interests=("music", "tech"))
    await onboard(app, carol, gender="female", age="30")
    # Bob arrives with a reputation: Carol liked him after an earlier chat.
    earlier = await start_chat(app, carol, bob)
    await app.dispatcher.feed_update(app.bot, message_update(carol, "/stop"))
    await app.dispatcher.feed_update(app.bot, callback_update(carol, f"r:{earlier}:1"))
    telegram.clear()

    await app.dispatcher.feed_update(app.bot, message_update(alice, "/search"))
    await app.dispatcher.feed_update(app.bot, message_update(bob, "/search"))

    notice = (
        "🎉 Partner found! Say hi.\nPartner's reputation: {}\nShared interests: 🎵 Music\n\n"
        "/next — another partner · /stop — end the chat"
    )
    assert telegram.texts_to(alice.id) == [LOOKING, notice.format("👍 1 · 👎 0")]
    assert reply_keyboard(telegram, alice.id) == reply_keyboard(telegram, bob.id) == CHAT_KEYBOARD
    assert telegram.texts_to(bob.id) == [notice.format("👍 0 · 👎 0")]
    for user, partner in ((alice, bob), (bob, alice)):
        assert partner.username is not None
        for request in telegram.sent_to(user.id):
            sent = repr(request)  # every field: texts, buttons and their callback_data
            for secret in (str(partner.id), partner.first_name, partner.username):
                assert secret not in sent, (secret, sent)
    alice_status = await app.usecases.get_current_chat(alice.id)
    bob_status = await app.usecases.get_current_chat(bob.id)
    assert isinstance(alice_status, InChat) and isinstance(bob_status, InChat)
    assert (alice_status.partner_id, bob_status.partner_id) == (bob.id, alice.id)
    assert alice_status.chat_id == bob_status.chat_id


async def test_users_of_different_languages_are_not_paired_by_default(app: App, telegram: FakeTelegram) -> None:
    english, russian, another_english = tg_user(3101, "en"), tg_user(3102, "ru"), tg_user(3103, "en")
    for user in (english, russian, another_english):
        await onboard(app, user)

    await app.dispatcher.feed_update(app.bot, message_update(english, "/search"))
    await app.dispatcher.feed_update(app.bot, message_update(russian, "/search"))

    assert await app.usecases.get_current_chat(english.id) is Unpaired.SEARCHING
    assert await app.usecases.get_current_chat(russian.id) is Unpaired.SEARCHING
    await app.dispatcher.feed_update(app.bot, message_update(another_english, "/search"))
    status = await app.usecases.get_current_chat(another_english.id)
    assert isinstance(status, InChat) and status.partner_id == english.id
    assert await app.usecases.get_current_chat(russian.id) is Unpaired.SEARCHING


async def test_users_of_different_languages_who_both_accept_any_language_are_paired(
    app: App, telegram: FakeTelegram
) -> None:
    english, russian = tg_user(3111, "en"), tg_user(3112, "ru")
    for user in (english, russian):
        await onboard(app, user)
        await app.dispatcher.feed_update(app.bot, message_update(user, "/settings"))
        await app.dispatcher.feed_update(app.bot, callback_update(user, "pf:language:any"))

    await start_chat(app, english, russian)  # both search, and find each other


async def test_search_in_a_chat_says_so_and_keeps_the_chat(app: App, telegram: FakeTelegram) -> None:
    alice, bob = tg_user(3021), tg_user(3022)
    chat_id = await start_chat(app, alice, bob)
    await app.dispatcher.feed_update(app.bot, message_update(alice, "/search"))

    assert telegram.last_text_to(alice.id) == "You are already in a chat. /next — another partner · /stop — end it"
    assert await app.usecases.get_current_chat(alice.id) == InChat(chat_id, bob.id)


async def test_searching_again_while_searching_says_still_looking(app: App, telegram: FakeTelegram) -> None:
    loner = tg_user(3031)
    await onboard(app, loner)
    await app.dispatcher.feed_update(app.bot, callback_update(loner, "m:search"))  # the menu's button
    assert telegram.last_text_to(loner.id) == LOOKING
    await app.dispatcher.feed_update(app.bot, message_update(loner, "/search"))

    assert telegram.last_text_to(loner.id) == "🔎 Still looking for a partner…"
    assert reply_keyboard(telegram, loner.id) == SEARCHING_KEYBOARD
    assert (await app.usecases.get_stats()).searching == 1


async def test_search_without_a_finished_profile_asks_to_start(app: App, telegram: FakeTelegram) -> None:
    halfway, stranger = tg_user(3041), tg_user(3042)
    await app.dispatcher.feed_update(app.bot, message_update(halfway, "/start"))
    await app.dispatcher.feed_update(app.bot, message_update(halfway, "/search"))
    await app.dispatcher.feed_update(app.bot, message_update(stranger, "/search"))

    for user in (halfway, stranger):
        assert telegram.last_text_to(user.id) == "Please press /start to set up your profile first."
        assert await app.usecases.get_current_chat(user.id) is Unpaired.IDLE


async def test_a_banned_user_is_told_until_when_and_does_not_search(app: App, telegram: FakeTelegram) -> None:
    banned = tg_user(3051)
    await onboard(app, banned)
    await app.usecases.ban_user(ADMIN_ID, banned.id, timedelta(hours=2))
    user = await app.usecases.get_user(banned.id)
    assert user is not None and user.banned_until is not None

    await app.dispatcher.feed_update(app.bot, message_update(banned, "/search"))

    until = user.banned_until.strftime("%Y-%m-%d %H:%M")
    assert telegram.last_text_to(banned.id) == f"You can't search until {until} UTC."
    assert await app.usecases.get_current_chat(banned.id) is Unpaired.IDLE


async def test_the_cancel_button_stops_the_search(app: App, telegram: FakeTelegram) -> None:
    loner = tg_user(3061)
    await onboard(app, loner)
    await app.dispatcher.feed_update(app.bot, message_update(loner, "/search"))
    await app.dispatcher.feed_update(app.bot, callback_update(loner, "m:cancel"))

    assert callback_answers(telegram)[-1] == "Search stopped."
    edited = telegram.of_type(EditMessageReplyMarkup)[-1]
    assert edited.reply_markup is None and edited.chat_id == loner.id
    assert telegram.last_text_to(loner.id) == "Search stopped."
    assert reply_keyboard(telegram, loner.id) == IDLE_KEYBOARD
    assert await app.usecases.get_current_chat(loner.id) is Unpaired.IDLE

    await app.dispatcher.feed_update(app.bot, callback_update(loner, "m:cancel"))
    assert callback_answers(telegram)[-1] == "You are not searching."


async def test_stop_while_searching_stops_the_search_and_then_has_nothing_to_stop(
    app: App, telegram: FakeTelegram
) -> None:
    loner = tg_user(3071)
    await onboard(app, loner)
    await app.dispatcher.feed_update(app.bot, message_update(loner, "/search"))
    await app.dispatcher.feed_update(app.bot, message_update(loner, "/stop"))

    assert telegram.last_text_to(loner.id) == "Search stopped."
    assert reply_keyboard(telegram, loner.id) == IDLE_KEYBOARD
    assert await app.usecases.get_current_chat(loner.id) is Unpaired.IDLE

    await app.dispatcher.feed_update(app.bot, message_update(loner, "/stop"))
    assert telegram.last_text_to(loner.id) == "You are not in a chat."
    assert reply_keyboard(telegram, loner.id) == IDLE_KEYBOARD


async def test_stop_in_a_chat_ends_it_and_offers_both_sides_the_rating_buttons(
    app: App, telegram: FakeTelegram
) -> None:
    alice, bob = tg_user(3091), tg_user(3092)
    chat_id = await start_chat(app, alice, bob)
    await app.dispatcher.feed_update(app.bot, message_update(bob, "/stop"))

    assert telegram.texts_to(alice.id)[-2:] == PARTNER_LEFT
    assert telegram.texts_to(bob.id)[-2:] == YOU_LEFT
    assert reply_keyboard(telegram, alice.id) == reply_keyboard(telegram, bob.id) == IDLE_KEYBOARD
    assert button_data(telegram, alice.id) == button_data(telegram, bob.id) == after_chat_buttons(chat_id)
    for user in (alice, bob):
        assert await app.usecases.get_current_chat(user.id) is Unpaired.IDLE


async def test_next_ends_the_chat_for_both_and_searches_again(app: App, telegram: FakeTelegram) -> None:
    alice, bob = tg_user(3101), tg_user(3102)
    chat_id = await start_chat(app, alice, bob)
    telegram.clear()
    await app.dispatcher.feed_update(app.bot, message_update(alice, "/next"))

    assert telegram.texts_to(alice.id) == [*YOU_LEFT, LOOKING]
    assert telegram.texts_to(bob.id) == PARTNER_LEFT
    assert button_data(telegram, bob.id) == after_chat_buttons(chat_id)
    assert reply_keyboard(telegram, alice.id) == SEARCHING_KEYBOARD
    first_to_alice = telegram.sent_to(alice.id)[1]
    assert isinstance(first_to_alice, SendMessage) and isinstance(first_to_alice.reply_markup, InlineKeyboardMarkup)
    buttons = [button.callback_data for row in first_to_alice.reply_markup.inline_keyboard for button in row]
    assert buttons == after_chat_buttons(chat_id)
    assert await app.usecases.get_current_chat(alice.id) is Unpaired.SEARCHING
    assert await app.usecases.get_current_chat(bob.id) is Unpaired.IDLE


async def test_next_finds_a_new_partner_who_is_waiting(app: App, telegram: FakeTelegram) -> None:
    alice, bob, carol = tg_user(3111), tg_user(3112), tg_user(3113)
    await start_chat(app, alice, bob)
    await onboard(app, carol)
    await app.dispatcher.feed_update(app.bot, message_update(carol, "/search"))
    await app.dispatcher.feed_update(app.bot, message_update(alice, "/next"))

    status = await app.usecases.get_current_chat(alice.id)
    assert isinstance(status, InChat) and status.partner_id == carol.id
    assert telegram.last_text_to(carol.id).startswith("🎉 Partner found!")


async def test_many_users_searching_at_once_are_each_paired_exactly_once(app: App, telegram: FakeTelegram) -> None:
    users = [tg_user(3200 + n) for n in range(30)]
    await asyncio.gather(
        *(onboard(app, user, gender=("male", "female")[n % 2], age=str(20 + n % 15)) for n, user in enumerate(users))
    )
    telegram.clear()

    await asyncio.gather(*(app.dispatcher.feed_update(app.bot, message_update(user, "/search")) for user in users))

    partners: dict[int, InChat] = {}
    for user in users:
        status = await app.usecases.get_current_chat(user.id)
        assert isinstance(status, InChat), f"{user.id} is {status}"
        partners[user.id] = status
    for user_id, status in partners.items():
        assert partners[status.partner_id] == InChat(status.chat_id, user_id)  # mutual, same chat
    assert len({status.chat_id for status in partners.values()}) == len(users) // 2
    for user in users:
        found = [text for text in telegram.texts_to(user.id) if text.startswith("🎉 Partner found!")]
        assert len(found) == 1
    stats = await app.usecases.get_stats()
    assert (stats.searching, stats.active_chats) == (0, len(users) // 2)


# --- the keyboard under the input field ------------------------------------------------------------


async def test_keyboard_labels_act_as_their_commands_and_are_never_relayed(app: App, telegram: FakeTelegram) -> None:
    alice, bob = tg_user(3301), tg_user(3302)
    await onboard(app, alice)
    await onboard(app, bob)

    await app.dispatcher.feed_update(app.bot, message_update(alice, "🔎 Search"))
    assert telegram.last_text_to(alice.id) == LOOKING
    await app.dispatcher.feed_update(app.bot, message_update(alice, "✖️ Cancel"))
    assert telegram.last_text_to(alice.id) == "Search stopped."
    assert await app.usecases.get_current_chat(alice.id) is Unpaired.IDLE

    chat_id = await start_chat(app, alice, bob)
    telegram.clear()
    await app.dispatcher.feed_update(app.bot, message_update(alice, "⏹ Stop"))

    assert not telegram.copies_to(bob.id)
    assert telegram.texts_to(bob.id) == PARTNER_LEFT
    assert await app.usecases.get_chat_history(chat_id) == []
    assert reply_keyboard(telegram, alice.id) == IDLE_KEYBOARD


async def test_next_from_the_keyboard_ends_the_chat_and_searches(app: App, telegram: FakeTelegram) -> None:
    alice, bob = tg_user(3311), tg_user(3312)
    await start_chat(app, alice, bob)
    telegram.clear()

    await app.dispatcher.feed_update(app.bot, message_update(alice, "⏭ Next"))

    assert telegram.texts_to(alice.id) == [*YOU_LEFT, LOOKING]
    assert not telegram.copies_to(bob.id)
    assert await app.usecases.get_current_chat(alice.id) is Unpaired.SEARCHING


async def test_text_that_only_resembles_a_label_is_relayed(app: App, telegram: FakeTelegram) -> None:
    alice, bob = tg_user(3321), tg_user(3322)
    await start_chat(app, alice, bob)
    telegram.clear()

    for text in ("⏹ Stop please", "stop", "⏹ stop", " ⏹ Stop", "⏹ Стоп"):  # the last is Russian, alice is English
        await app.dispatcher.feed_update(app.bot, message_update(alice, text))

    assert len(telegram.copies_to(bob.id)) == 5
    assert isinstance(await app.usecases.get_current_chat(alice.id), InChat)


async def test_labels_are_read_in_the_users_language(app: App, telegram: FakeTelegram) -> None:
    ivan, olga = tg_user(3331, "ru"), tg_user(3332, "ru")
    await start_chat(app, ivan, olga)
    assert reply_keyboard(telegram, ivan.id) == [["⏭ Дальше", "⏹ Стоп"]]
    telegram.clear()

    await app.dispatcher.feed_update(app.bot, message_update(ivan, "⏹ Stop"))  # English: a chat message
    assert len(telegram.copies_to(olga.id)) == 1
    await app.dispatcher.feed_update(app.bot, message_update(ivan, "⏹ Стоп"))

    assert len(telegram.copies_to(olga.id)) == 1
    assert await app.usecases.get_current_chat(ivan.id) is Unpaired.IDLE
    assert reply_keyboard(telegram, ivan.id) == [["🔎 Поиск", "👤 Профиль"], ["⚙️ Настройки", "❓ Помощь"]]
