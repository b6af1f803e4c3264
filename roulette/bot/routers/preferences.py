"""/settings: whom the user wants to meet."""

from __future__ import annotations

from dataclasses import replace

from aiogram import F
from aiogram import Router
from aiogram.filters import Command
from aiogram.filters import or_f
from aiogram.types import CallbackQuery
from aiogram.types import InlineKeyboardMarkup
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from roulette.bot import keyboards
from roulette.bot.callbacks import MediaChoice
from roulette.bot.callbacks import Menu
from roulette.bot.callbacks import MenuAction
from roulette.bot.callbacks import PreferenceChoice
from roulette.bot.callbacks import PreferenceField
from roulette.bot.delivery import Courier
from roulette.bot.filters import Pressed
from roulette.bot.registered import registered_user
from roulette.bot.reply_keyboard import ReplyButton
from roulette.bot.texts import needs_start
from roulette.bot.texts import possible_partner_ages
from roulette.bot.texts import preferences_card
from roulette.bot.texts import use_the_buttons
from roulette.domain import DomainError
from roulette.domain import InterestsMode
from roulette.domain import MediaDelivery
from roulette.domain import PartnerGender
from roulette.domain import PartnerLanguage
from roulette.domain import SearchPreferences
from roulette.domain import User
from roulette.domain import media_delivery
from roulette.usecases import UseCases
from roulette.usecases.profile import AgesOutsideClass
from roulette.usecases.profile import Saved


def build_router() -> Router:
    router = Router(name="preferences")
    router.message.register(cmd_settings, or_f(Command("settings"), Pressed(ReplyButton.SETTINGS)))
    router.callback_query.register(on_settings_button, MenuAction.filter(F.action == Menu.SETTINGS))
    router.callback_query.register(on_preference, PreferenceChoice.filter())
    router.callback_query.register(on_media_choice, MediaChoice.filter())
    return router


async def show_settings(event: Message | CallbackQuery, usecases: UseCases) -> None:
    """The settings card with its choices, for the command and the menu's button alike."""
    found = await registered_user(event, usecases)
    if found is not None:
        where, user = found
        await where.answer(preferences_card(user), reply_markup=_menu(user))


async def cmd_settings(message: Message, usecases: UseCases) -> None:
    await show_settings(message, usecases)


async def on_settings_button(query: CallbackQuery, usecases: UseCases) -> None:
    await show_settings(query, usecases)


def _menu(user: User) -> InlineKeyboardMarkup:
    return keyboards.preferences_menu(user.preferences, _media(user), user.profile.age)


def _media(user: User) -> MediaDelivery:
    return media_delivery(user.partner_media, user.profile.age)


async def on_media_choice(query: CallbackQuery, callback_data: MediaChoice, usecases: UseCases) -> None:
    """How partners' photos and videos reach the user: shown, blurred or text only."""
    user = await usecases.get_user(query.from_user.id)
    updated = await usecases.set_partner_media(query.from_user.id, callback_data.delivery)
    if user is None or not isinstance(updated, User):
        await query.answer(needs_start())
        return
    await query.answer(_("Saved"))
    if isinstance(query.message, Message) and _media(updated) != _media(user):
        await query.message.edit_text(preferences_card(updated), reply_markup=_menu(updated))


def _changed(preferences: SearchPreferences, choice: PreferenceChoice) -> SearchPreferences:
    """The preferences with one choice applied; DomainError/ValueError for a forged value."""
    if choice.field is PreferenceField.GENDER:
        return replace(preferences, partner_gender=PartnerGender(choice.value))
    if choice.field is PreferenceField.AGE:
        low, _sep, high = choice.value.partition("-")
        return replace(preferences, age_min=int(low), age_max=int(high))
    if choice.field is PreferenceField.LANGUAGE:
        return replace(preferences, partner_language=PartnerLanguage(choice.value))
    return replace(preferences, interests_mode=InterestsMode(choice.value))


async def on_preference(
    query: CallbackQuery, callback_data: PreferenceChoice, usecases: UseCases, courier: Courier
) -> None:
    if callback_data.field is PreferenceField.DONE:  # the card above already shows every choice
        await query.answer(_("Saved"))
        if isinstance(query.message, Message):
            await query.message.edit_reply_markup(reply_markup=None)
        return
    user = await usecases.get_user(query.from_user.id)
    if user is None:
        await query.answer(needs_start())
        return
    try:
        preferences = _changed(user.preferences, callback_data)
    except (DomainError, ValueError):
        await query.answer(use_the_buttons())
        return
    updated = await usecases.update_preferences(user.id, preferences)
    if isinstance(updated, AgesOutsideClass):
        await query.answer(possible_partner_ages(updated.youngest, updated.oldest), show_alert=True)
        return
    await query.answer(_("Saved"))
    if not isinstance(updated, Saved):
        return
    await courier.announce_change(updated)
    if isinstance(query.message, Message) and updated.user.preferences != user.preferences:
        await query.message.edit_text(preferences_card(updated.user), reply_markup=_menu(updated.user))
