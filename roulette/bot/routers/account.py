"""/help, /rules, /language and /deleteme."""

from __future__ import annotations

from aiogram import F
from aiogram import Router
from aiogram.filters import Command
from aiogram.filters import or_f
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery
from aiogram.types import Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from roulette.bot import keyboards
from roulette.bot.callbacks import DeleteConfirm
from roulette.bot.callbacks import LanguageChoice
from roulette.bot.callbacks import Menu
from roulette.bot.callbacks import MenuAction
from roulette.bot.delivery import Courier
from roulette.bot.filters import Pressed
from roulette.bot.languages import Languages
from roulette.bot.reply_keyboard import ReplyButton
from roulette.bot.texts import help_text
from roulette.bot.texts import needs_start
from roulette.bot.texts import rules_text
from roulette.bot.texts import safety_text
from roulette.settings import Settings
from roulette.usecases import UseCases
from roulette.usecases.account import Deleted
from roulette.usecases.account import UserNotFound


def build_router() -> Router:
    router = Router(name="account")
    router.message.register(cmd_help, or_f(Command("help"), Pressed(ReplyButton.HELP)))
    router.callback_query.register(on_help_button, MenuAction.filter(F.action == Menu.HELP))
    router.message.register(cmd_rules, Command("rules"))
    router.message.register(cmd_safety, Command("safety"))
    router.message.register(cmd_language, Command("language"))
    router.callback_query.register(on_language, LanguageChoice.filter())
    router.message.register(cmd_deleteme, Command("deleteme"))
    router.callback_query.register(on_delete, DeleteConfirm.filter())
    return router


async def cmd_help(message: Message) -> None:
    await message.answer(help_text())


async def on_help_button(query: CallbackQuery) -> None:
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.answer(help_text())


async def cmd_rules(message: Message) -> None:
    await message.answer(rules_text())


async def cmd_safety(message: Message, settings: Settings) -> None:
    await message.answer(safety_text(settings.message_retention_hours, settings.chat_retention_days))


async def cmd_language(message: Message) -> None:
    await message.answer(_("Choose the interface language:"), reply_markup=keyboards.languages())


async def on_language(
    query: CallbackQuery,
    callback_data: LanguageChoice,
    usecases: UseCases,
    languages: Languages,
    i18n: I18n,
    courier: Courier,
) -> None:
    language = callback_data.code
    result = await usecases.set_language(query.from_user.id, language)
    if isinstance(result, UserNotFound):
        await query.answer(needs_start())
        return
    languages.remember(query.from_user.id, language)
    with i18n.use_locale(language.value):
        await query.answer(_("Language changed."))
        if isinstance(query.message, Message):
            await query.message.edit_text(_("The interface is now in English."))
    # "A partner of my language" follows the new one: a chat or a search may change with it
    await courier.announce_change(result)


async def cmd_deleteme(message: Message) -> None:
    await message.answer(
        _(
            "<b>Delete all your data?</b> This goes, at once and for good:\n"
            "• your profile (gender, age, interests), settings, language and reputation\n"
            "• the ratings you received\n"
            "• every message you sent, with its earlier versions\n"
            "• the blocks you made\n"
            "• your id in every past chat, and in the ratings and reports you made "
            "(they stay, without you)\n"
            "Your current chat and search end. What stays: reports and blocks other people made about you, "
            "since they are theirs. It cannot be undone. Continue?"
        ),
        reply_markup=keyboards.delete_confirmation(),
    )


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
        await courier.announce_chat_end(result.ended_chat, ended_by=query.from_user.id)
