"""/settings: whom the user wants to meet."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from roulette.bot import keyboards
from roulette.bot.callbacks import MenuAction, PreferenceChoice
from roulette.bot.routers.profile import needs_start
from roulette.bot.texts import preferences_card
from roulette.domain import DomainError, InterestsMode, PartnerGender, SearchPreferences, User
from roulette.usecases import UseCases

router = Router(name="preferences")


@router.message(Command("settings"))
async def cmd_settings(message: Message, usecases: UseCases) -> None:
    assert message.from_user is not None
    user = await usecases.get_user(message.from_user.id)
    if user is None:
        await message.answer(needs_start())
        return
    await message.answer(preferences_card(user), reply_markup=keyboards.preferences_menu(user.preferences))


@router.callback_query(MenuAction.filter(F.action == "settings"))
async def on_settings_button(query: CallbackQuery, usecases: UseCases) -> None:
    user = await usecases.get_user(query.from_user.id)
    await query.answer()
    if query.message is None:
        return
    if user is None:
        await query.message.answer(needs_start())
        return
    await query.message.answer(preferences_card(user), reply_markup=keyboards.preferences_menu(user.preferences))


def _changed(preferences: SearchPreferences, choice: PreferenceChoice) -> SearchPreferences:
    """The preferences with one choice applied; DomainError/ValueError for a forged value."""
    if choice.field == "gender":
        return SearchPreferences(
            PartnerGender(choice.value), preferences.age_min, preferences.age_max, preferences.interests_mode
        )
    if choice.field == "age":
        low, _sep, high = choice.value.partition("-")
        return SearchPreferences(preferences.partner_gender, int(low), int(high), preferences.interests_mode)
    if choice.field == "interests":
        return SearchPreferences(
            preferences.partner_gender, preferences.age_min, preferences.age_max, InterestsMode(choice.value)
        )
    raise ValueError(f"unknown preference {choice.field!r}")


@router.callback_query(PreferenceChoice.filter())
async def on_preference(query: CallbackQuery, callback_data: PreferenceChoice, usecases: UseCases) -> None:
    user = await usecases.get_user(query.from_user.id)
    if user is None:
        await query.answer(_("Please press /start to set up your profile first."))
        return
    try:
        preferences = _changed(user.preferences, callback_data)
    except (DomainError, ValueError):
        await query.answer(_("Please use the buttons."))
        return
    updated = await usecases.update_preferences(user.id, preferences)
    await query.answer(_("Saved"))
    if isinstance(updated, User) and isinstance(query.message, Message) and preferences != user.preferences:
        await query.message.edit_text(
            preferences_card(updated), reply_markup=keyboards.preferences_menu(updated.preferences)
        )
