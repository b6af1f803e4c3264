"""/start, the first-time profile, /profile and /settings, through the real Dispatcher."""

from __future__ import annotations

from typing import Any

import asyncpg
from aiogram import Bot
from aiogram import types
from aiogram.client.default import DefaultBotProperties
from aiogram.enums import ParseMode
from aiogram.methods import EditMessageReplyMarkup
from aiogram.methods import EditMessageText
from aiogram.types import InlineKeyboardMarkup

from roulette.bot.app import App
from roulette.bot.app import build_app
from roulette.domain import Gender
from roulette.domain import InterestsMode
from roulette.domain import PartnerGender
from roulette.domain import PartnerLanguage
from roulette.domain import SearchPreferences
from roulette.domain import User
from roulette.settings import Settings
from tests.support.flows import IDLE_KEYBOARD
from tests.support.flows import button_data
from tests.support.flows import callback_answers
from tests.support.flows import feed
from tests.support.flows import onboard
from tests.support.flows import reply_keyboard
from tests.support.telegram_double import TOKEN
from tests.support.telegram_double import FakeTelegram
from tests.support.telegram_double import callback_update
from tests.support.telegram_double import message_update
from tests.support.telegram_double import tg_user

AGE_QUESTION = "How old are you? Send a number from 13 to 99."
NOT_AN_AGE = "That doesn't look like an age. " + AGE_QUESTION


async def saved_profile(app: App, user_id: int) -> tuple[str | None, int | None, list[str]]:
    """What the database holds: gender, age, interests."""
    user = await app.usecases.get_user(user_id)
    assert user is not None
    return user.profile.gender, user.profile.age, user.profile.interests.ordered()


async def settings_open(app: App, member: types.User) -> types.User:
    """`member`, onboarded, looking at their /settings card."""
    await onboard(app, member)
    await feed(app, message_update(member, "/settings"))
    return member


async def press_setting(
    app: App, telegram: FakeTelegram, member: types.User, data: str
) -> tuple[User, str, dict[str, str]]:
    """Press a button of the settings card: the user as stored then, and the card's text and buttons."""
    await app.dispatcher.feed_update(app.bot, callback_update(member, data))
    user = await app.usecases.get_user(member.id)
    assert user is not None
    card = telegram.of_type(EditMessageText)[-1]
    return user, card.text, button_texts(card.reply_markup)


def button_texts(markup: InlineKeyboardMarkup | None) -> dict[str, str]:
    """callback_data → the button's label."""
    assert markup is not None
    return {button.callback_data or "": button.text for row in markup.inline_keyboard for button in row}


# --- /start ----------------------------------------------------------------------------------


async def test_a_new_user_is_welcomed_and_asked_for_their_gender(app: App, telegram: FakeTelegram) -> None:
    newcomer = tg_user(2001)
    await app.dispatcher.feed_update(app.bot, message_update(newcomer, "/start"))

    welcome = telegram.last_text_to(newcomer.id)
    assert "Welcome to <b>Anochat</b>" in welcome and "What is your gender?" in welcome
    assert button_data(telegram, newcomer.id) == ["g:male:0", "g:female:0"]
    user = await app.usecases.get_user(newcomer.id)
    assert user is not None and not user.profile.is_complete


async def test_a_returning_user_with_a_profile_gets_the_keyboard_of_their_state(
    app: App, telegram: FakeTelegram
) -> None:
    regular = tg_user(2002)
    await onboard(app, regular, gender="female", age="31", interests=("art",))
    await app.dispatcher.feed_update(app.bot, message_update(regular, "/start"))

    assert telegram.last_text_to(regular.id) == "Welcome back! Ready for a new conversation?"
    assert reply_keyboard(telegram, regular.id) == IDLE_KEYBOARD
    await app.dispatcher.feed_update(app.bot, message_update(regular, "/search"))
    await app.dispatcher.feed_update(app.bot, message_update(regular, "/start"))
    assert reply_keyboard(telegram, regular.id) == [["✖️ Cancel"]]
    user = await app.usecases.get_user(regular.id)
    assert user is not None and user.profile.age == 31 and user.profile.interests.tags == {"art"}


async def test_a_deep_link_start_is_handled_like_start(app: App, telegram: FakeTelegram) -> None:
    newcomer, regular = tg_user(2003), tg_user(2004)
    await onboard(app, regular)

    await app.dispatcher.feed_update(app.bot, message_update(newcomer, "/start abc"))
    await app.dispatcher.feed_update(app.bot, message_update(regular, "/start ref_42"))

    assert "What is your gender?" in telegram.last_text_to(newcomer.id)
    assert button_data(telegram, newcomer.id) == ["g:male:0", "g:female:0"]
    assert telegram.last_text_to(regular.id) == "Welcome back! Ready for a new conversation?"


# --- the first profile ------------------------------------------------------------------------


async def test_a_forged_gender_is_refused_and_the_question_stays(app: App, telegram: FakeTelegram) -> None:
    newcomer = tg_user(2011)
    await app.dispatcher.feed_update(app.bot, message_update(newcomer, "/start"))
    await app.dispatcher.feed_update(app.bot, callback_update(newcomer, "g:robot:0"))
    await app.dispatcher.feed_update(app.bot, message_update(newcomer, "25"))

    assert callback_answers(telegram)[-1] == "Please use the buttons."
    assert AGE_QUESTION not in telegram.texts_to(newcomer.id)
    user = await app.usecases.get_user(newcomer.id)
    assert user is not None and user.profile.gender is None and user.profile.age is None


async def test_a_bad_age_is_explained_asked_again_and_not_saved(app: App, telegram: FakeTelegram) -> None:
    newcomer = tg_user(2020)
    await app.dispatcher.feed_update(app.bot, message_update(newcomer, "/start"))
    await app.dispatcher.feed_update(app.bot, callback_update(newcomer, "g:male:0"))

    for typed in ("abc", "7", "200", "", "25.5", "-20", "1000"):
        await app.dispatcher.feed_update(app.bot, message_update(newcomer, typed))
        assert telegram.last_text_to(newcomer.id) == NOT_AN_AGE, typed
        user = await app.usecases.get_user(newcomer.id)
        assert user is not None and user.profile.age is None

    await app.dispatcher.feed_update(app.bot, message_update(newcomer, "27"))
    assert telegram.last_text_to(newcomer.id) == "Pick your interests (any number), then press Done."


async def test_a_gender_then_an_age_lead_to_the_interests_with_nothing_ticked(app: App, telegram: FakeTelegram) -> None:
    newcomer = tg_user(2021)
    await app.dispatcher.feed_update(app.bot, message_update(newcomer, "/start"))
    await app.dispatcher.feed_update(app.bot, callback_update(newcomer, "g:male:0"))
    assert telegram.last_text_to(newcomer.id) == AGE_QUESTION
    await app.dispatcher.feed_update(app.bot, message_update(newcomer, " 19 "))

    labels = button_texts(telegram.last_markup_to(newcomer.id))
    assert labels["i:music:0"] == "🎵 Music" and labels["i:done:0"] == "Done ✔️"
    assert len(labels) == 13 and not any("✅" in label for label in labels.values())


async def test_toggled_interests_are_ticked_and_done_saves_the_whole_profile(app: App, telegram: FakeTelegram) -> None:
    newcomer = tg_user(2022)
    feed = app.dispatcher.feed_update
    await feed(app.bot, message_update(newcomer, "/start"))
    await feed(app.bot, callback_update(newcomer, "g:female:0"))
    await feed(app.bot, message_update(newcomer, "22"))

    await feed(app.bot, callback_update(newcomer, "i:music:0"))
    await feed(app.bot, callback_update(newcomer, "i:books:0"))
    labels = button_texts(telegram.of_type(EditMessageReplyMarkup)[-1].reply_markup)
    assert labels["i:music:0"] == "✅ 🎵 Music" and labels["i:books:0"] == "✅ 📚 Books"
    assert labels["i:games:0"] == "🎮 Games"

    await feed(app.bot, callback_update(newcomer, "i:music:0"))
    labels = button_texts(telegram.of_type(EditMessageReplyMarkup)[-1].reply_markup)
    assert labels["i:music:0"] == "🎵 Music" and labels["i:books:0"] == "✅ 📚 Books"
    before_done = await app.usecases.get_user(newcomer.id)
    assert before_done is not None and not before_done.profile.is_complete

    await feed(app.bot, callback_update(newcomer, "i:done:0"))

    assert callback_answers(telegram)[-1] == "Profile saved"
    assert telegram.last_text_to(newcomer.id) == "All set! Press 🔎 Search to meet someone, or send /search."
    assert reply_keyboard(telegram, newcomer.id) == IDLE_KEYBOARD
    # the questions keep what was chosen and lose their buttons
    chosen = [edit.text.rsplit("\n\n", 1)[-1] for edit in telegram.of_type(EditMessageText)]
    assert chosen == ["✔️ 👩 Female", "✔️ 📚 Books"]
    assert all(edit.reply_markup is None for edit in telegram.of_type(EditMessageText))
    assert await saved_profile(app, newcomer.id) == ("female", 22, ["books"])


async def test_a_forged_interest_is_refused(app: App, telegram: FakeTelegram) -> None:
    newcomer = tg_user(2023)
    await app.dispatcher.feed_update(app.bot, message_update(newcomer, "/start"))
    await app.dispatcher.feed_update(app.bot, callback_update(newcomer, "g:female:0"))
    await app.dispatcher.feed_update(app.bot, message_update(newcomer, "22"))
    await app.dispatcher.feed_update(app.bot, callback_update(newcomer, "i:robots:0"))

    assert callback_answers(telegram)[-1] == "Please use the buttons."
    assert not telegram.of_type(EditMessageReplyMarkup)


async def test_onboarding_carries_on_after_a_restart(
    app: App, telegram: FakeTelegram, pool: asyncpg.Pool[Any], bot_settings: Settings
) -> None:
    newcomer = tg_user(2030)
    await app.dispatcher.feed_update(app.bot, message_update(newcomer, "/start"))
    await app.dispatcher.feed_update(app.bot, callback_update(newcomer, "g:female:0"))

    restarted = build_app(
        bot_settings, pool, Bot(TOKEN, session=telegram, default=DefaultBotProperties(parse_mode=ParseMode.HTML))
    )
    await restarted.dispatcher.feed_update(restarted.bot, message_update(newcomer, "45"))
    assert telegram.last_text_to(newcomer.id) == "Pick your interests (any number), then press Done."
    await restarted.dispatcher.feed_update(restarted.bot, callback_update(newcomer, "i:travel:0"))
    await restarted.dispatcher.feed_update(restarted.bot, callback_update(newcomer, "i:done:0"))

    assert await saved_profile(restarted, newcomer.id) == ("female", 45, ["travel"])


# --- /profile ---------------------------------------------------------------------------------


async def test_profile_shows_gender_age_interests_reputation_and_edit_buttons(app: App, telegram: FakeTelegram) -> None:
    member = tg_user(2040)
    await onboard(app, member, gender="male", age="25", interests=("books", "music"))
    await app.dispatcher.feed_update(app.bot, message_update(member, "/profile"))

    assert telegram.last_text_to(member.id) == (
        "<b>Your profile</b>\nGender: 👨 Male\nAge: 25\nInterests: 🎵 Music, 📚 Books\nReputation: 👍 0 · 👎 0"
    )
    assert button_data(telegram, member.id) == ["pe:gender", "pe:age", "pe:interests"]


async def test_profile_and_settings_before_start_ask_to_start(app: App, telegram: FakeTelegram) -> None:
    stranger = tg_user(2041)
    await app.dispatcher.feed_update(app.bot, message_update(stranger, "/profile"))
    await app.dispatcher.feed_update(app.bot, message_update(stranger, "/settings"))
    assert telegram.texts_to(stranger.id) == ["Please press /start to set up your profile first."] * 2


async def test_editing_the_gender_saves_it_and_shows_the_profile(app: App, telegram: FakeTelegram) -> None:
    member = tg_user(2042)
    await onboard(app, member, gender="male")
    await app.dispatcher.feed_update(app.bot, callback_update(member, "pe:gender"))

    assert telegram.last_text_to(member.id) == "What is your gender?"
    assert button_data(telegram, member.id) == ["g:male:1", "g:female:1"]

    await app.dispatcher.feed_update(app.bot, callback_update(member, "g:female:1"))
    assert callback_answers(telegram)[-1] == "Saved"
    assert "Gender: 👩 Female" in telegram.last_text_to(member.id)
    user = await app.usecases.get_user(member.id)
    assert user is not None and user.profile.gender is Gender.FEMALE


async def test_editing_the_age_refuses_a_bad_one_then_saves_a_good_one(app: App, telegram: FakeTelegram) -> None:
    member = tg_user(2043)
    await onboard(app, member, age="25")
    await app.dispatcher.feed_update(app.bot, callback_update(member, "pe:age"))
    assert telegram.last_text_to(member.id) == AGE_QUESTION

    await app.dispatcher.feed_update(app.bot, message_update(member, "ten"))
    assert telegram.last_text_to(member.id) == NOT_AN_AGE
    user = await app.usecases.get_user(member.id)
    assert user is not None and user.profile.age == 25

    await app.dispatcher.feed_update(app.bot, message_update(member, "40"))
    assert "Age: 40" in telegram.last_text_to(member.id)
    user = await app.usecases.get_user(member.id)
    assert user is not None and user.profile.age == 40

    # the question is answered: a number sent now is an ordinary message
    await app.dispatcher.feed_update(app.bot, message_update(member, "41"))
    assert telegram.last_text_to(member.id).startswith("You are not in a chat right now.")
    user = await app.usecases.get_user(member.id)
    assert user is not None and user.profile.age == 40


async def test_editing_interests_saves_each_toggle(app: App, telegram: FakeTelegram) -> None:
    member = tg_user(2044)
    await onboard(app, member, interests=("music",))
    await app.dispatcher.feed_update(app.bot, callback_update(member, "pe:interests"))

    labels = button_texts(telegram.last_markup_to(member.id))
    assert labels["i:music:1"] == "✅ 🎵 Music" and labels["i:tech:1"] == "💻 Tech"

    await app.dispatcher.feed_update(app.bot, callback_update(member, "i:tech:1"))
    await app.dispatcher.feed_update(app.bot, callback_update(member, "i:music:1"))
    labels = button_texts(telegram.of_type(EditMessageReplyMarkup)[-1].reply_markup)
    assert labels["i:music:1"] == "🎵 Music" and labels["i:tech:1"] == "✅ 💻 Tech"
    user = await app.usecases.get_user(member.id)
    assert user is not None and user.profile.interests.tags == {"tech"}

    await app.dispatcher.feed_update(app.bot, callback_update(member, "i:done:1"))
    assert callback_answers(telegram)[-1] == "Saved"
    assert "Interests: 💻 Tech" in telegram.last_text_to(member.id)


# --- /settings --------------------------------------------------------------------------------


async def test_settings_show_the_current_wishes_and_every_choice(app: App, telegram: FakeTelegram) -> None:
    member = await settings_open(app, tg_user(2050))

    card = telegram.last_text_to(member.id)
    assert "Partner: Anyone" in card and "Partner age: 18–99" in card and "Interests: prefer" in card
    assert card.endswith("\nPartners can be 18–99 years old.")  # an adult: adults only
    assert button_data(telegram, member.id) == [
        "pf:gender:any", "pf:gender:male", "pf:gender:female",
        "pf:age:18-24", "pf:age:25-34", "pf:age:35-49", "pf:age:50-99", "pf:age:18-99",
        "pf:interests:ignore", "pf:interests:prefer", "pf:interests:require",
        "pf:language:same", "pf:language:any", "md:shown", "md:blurred", "md:text", "pf:done:",
    ]  # fmt: skip
    labels = button_texts(telegram.last_markup_to(member.id))
    assert labels["pf:gender:any"] == "• Anyone" and labels["pf:interests:prefer"] == "• Shared first"
    assert labels["pf:language:same"] == "• 🗣 My language" and labels["pf:language:any"] == "🌍 Any language"
    assert "Language: same as mine" in card


async def test_choosing_any_partner_language_saves_it_and_shows_it(app: App, telegram: FakeTelegram) -> None:
    member = await settings_open(app, tg_user(2052, "ru"))

    user, card, buttons = await press_setting(app, telegram, member, "pf:language:any")

    assert user.preferences.partner_language is PartnerLanguage.ANY
    assert "Язык: любой" in card
    assert buttons["pf:language:any"] == "• 🌍 Любой язык"
    # a forged value changes nothing
    user, _, _ = await press_setting(app, telegram, member, "pf:language:klingon")
    assert user.preferences.partner_language is PartnerLanguage.ANY


async def test_done_in_the_settings_keeps_the_card_and_drops_its_buttons(app: App, telegram: FakeTelegram) -> None:
    member = await settings_open(app, tg_user(2053))

    await app.dispatcher.feed_update(app.bot, callback_update(member, "pf:done:"))

    assert callback_answers(telegram)[-1] == "Saved"
    edited = telegram.of_type(EditMessageReplyMarkup)[-1]
    assert edited.chat_id == member.id and edited.reply_markup is None


async def test_choosing_partner_gender_age_and_interests_mode_saves_each(app: App, telegram: FakeTelegram) -> None:
    member = await settings_open(app, tg_user(2051))

    user, card, buttons = await press_setting(app, telegram, member, "pf:gender:female")
    assert user.preferences.partner_gender is PartnerGender.FEMALE
    assert "Partner: 👩 Female" in card
    assert buttons["pf:gender:female"] == "• 👩 Female"

    await app.dispatcher.feed_update(app.bot, callback_update(member, "pf:gender:male"))
    await app.dispatcher.feed_update(app.bot, callback_update(member, "pf:age:18-24"))
    user, card, _ = await press_setting(app, telegram, member, "pf:interests:require")

    assert callback_answers(telegram)[-1] == "Saved"
    assert "Partner age: 18–24" in card
    assert user.preferences == SearchPreferences(PartnerGender.MALE, 18, 24, InterestsMode.REQUIRE)


async def test_a_forged_setting_is_refused_and_changes_nothing(app: App, telegram: FakeTelegram) -> None:
    member = tg_user(2052)
    await onboard(app, member)

    for forged in ("pf:age:5-300", "pf:gender:robot", "pf:age:40-20", "pf:age:18", "pf:interests:always", "pf:x:y"):
        await app.dispatcher.feed_update(app.bot, callback_update(member, forged))
        assert callback_answers(telegram)[-1] == "Please use the buttons.", forged

    user = await app.usecases.get_user(member.id)
    assert user is not None and user.preferences == SearchPreferences(age_min=18)  # an adult's default
    assert not [edit for edit in telegram.of_type(EditMessageText) if "Partner" in edit.text]


# --- while the bot waits for an answer ----------------------------------------------------------


async def test_commands_are_not_taken_for_an_age(app: App, telegram: FakeTelegram) -> None:
    newcomer = tg_user(2060)
    await app.dispatcher.feed_update(app.bot, message_update(newcomer, "/start"))
    await app.dispatcher.feed_update(app.bot, callback_update(newcomer, "g:male:0"))
    await app.dispatcher.feed_update(app.bot, message_update(newcomer, "/help"))

    assert telegram.last_text_to(newcomer.id).startswith("<b>Anochat</b> — talk to a random stranger")
    await app.dispatcher.feed_update(app.bot, message_update(newcomer, "30"))  # the question still stands
    assert telegram.last_text_to(newcomer.id) == "Pick your interests (any number), then press Done."


async def test_stop_works_while_the_bot_waits_for_a_new_age(app: App, telegram: FakeTelegram) -> None:
    alice, bob = tg_user(2061), tg_user(2062)
    await onboard(app, alice, age="30")
    await onboard(app, bob)
    await app.dispatcher.feed_update(app.bot, message_update(alice, "/search"))
    await app.dispatcher.feed_update(app.bot, message_update(bob, "/search"))
    await app.dispatcher.feed_update(app.bot, callback_update(alice, "pe:age"))

    await app.dispatcher.feed_update(app.bot, message_update(alice, "/stop"))

    assert telegram.texts_to(alice.id)[-2:] == ["The chat is over.", "How was your partner?"]
    assert telegram.texts_to(bob.id)[-2].startswith("Your partner has left the chat.")
    assert await saved_profile(app, alice.id) == ("male", 30, [])
