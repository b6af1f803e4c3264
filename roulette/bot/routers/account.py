"""/help, /rules, /language and /deleteme."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from roulette.bot import keyboards
from roulette.bot.callbacks import DeleteConfirm, LanguageChoice, MenuAction
from roulette.bot.delivery import Courier
from roulette.bot.languages import Languages
from roulette.bot.texts import help_text, rules_text
from roulette.domain import Language
from roulette.usecases import Deleted, UseCases, UserNotFound

router = Router(name="account")


@router.message(Command("help"))
async def cmd_help(message: Message) -> None:
    await message.answer(help_text())


@router.callback_query(MenuAction.filter(F.action == "help"))
async def on_help_button(query: CallbackQuery) -> None:
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.answer(help_text())


@router.message(Command("rules"))
async def cmd_rules(message: Message) -> None:
    await message.answer(rules_text())


@router.message(Command("language"))
async def cmd_language(message: Message) -> None:
    await message.answer(_("Choose the interface language:"), reply_markup=keyboards.languages())


@router.callback_query(LanguageChoice.filter())
async def on_language(
    query: CallbackQuery, callback_data: LanguageChoice, usecases: UseCases, languages: Languages, i18n: I18n
) -> None:
    if callback_data.code not in {language.value for language in Language}:
        await query.answer(_("Please use the buttons."))
        return
    language = Language(callback_data.code)
    result = await usecases.set_language(query.from_user.id, language)
    if isinstance(result, UserNotFound):
        await query.answer(_("Please press /start to set up your profile first."))
        return
    languages.remember(query.from_user.id, language)
    with i18n.use_locale(language.value):
        await query.answer(_("Language changed."))
        if isinstance(query.message, Message):
            await query.message.edit_text(_("The interface is now in English."))


@router.message(Command("deleteme"))
async def cmd_deleteme(message: Message) -> None:
    await message.answer(
        _(
            "This deletes your profile, reputation, settings and every message you sent, "
            "and ends your current chat. It cannot be undone. Continue?"
        ),
        reply_markup=keyboards.delete_confirmation(),
    )


@router.callback_query(DeleteConfirm.filter())
async def on_delete(
    query: CallbackQuery,
    callback_data: DeleteConfirm,
    state: FSMContext,
    usecases: UseCases,
    languages: Languages,
    courier: Courier,
) -> None:
    if not callback_data.confirm:
        await query.answer(_("Nothing was deleted."))
        if isinstance(query.message, Message):
            await query.message.edit_text(_("Nothing was deleted."))
        return
    await state.clear()  # first: clearing writes a row, which the deletion then erases with the rest
    result = await usecases.delete_user(query.from_user.id)
    languages.forget(query.from_user.id)
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_text(_("All your data has been deleted. Send /start if you ever want to come back."))
    if isinstance(result, Deleted) and result.ended_chat is not None:
        await courier.announce_chat_end(result.ended_chat, ended_by=query.from_user.id, notify_ender=False)
