"""/profile: show it and edit one field at a time."""

from __future__ import annotations

from dataclasses import replace

from aiogram import F
from aiogram import Router
from aiogram.filters import Command
from aiogram.filters import or_f
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.fsm.state import StatesGroup
from aiogram.types import CallbackQuery
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from roulette.bot import keyboards
from roulette.bot.callbacks import DONE
from roulette.bot.callbacks import GenderChoice
from roulette.bot.callbacks import InterestToggle
from roulette.bot.callbacks import Menu
from roulette.bot.callbacks import MenuAction
from roulette.bot.callbacks import ProfileEdit
from roulette.bot.callbacks import ProfileField
from roulette.bot.choices import show_choice
from roulette.bot.delivery import Courier
from roulette.bot.filters import Pressed
from roulette.bot.registered import registered_user
from roulette.bot.reply_keyboard import ReplyButton
from roulette.bot.texts import age_class_fixed
from roulette.bot.texts import age_question
from roulette.bot.texts import age_question_in_chat
from roulette.bot.texts import gender_name
from roulette.bot.texts import interests_list
from roulette.bot.texts import needs_start
from roulette.bot.texts import no_longer_active
from roulette.bot.texts import not_an_age
from roulette.bot.texts import profile_card
from roulette.bot.texts import use_the_buttons
from roulette.bot.typed_answers import TypedAnswers
from roulette.domain import InvalidAge
from roulette.domain import InvalidInterest
from roulette.domain import User
from roulette.domain import parse_age
from roulette.usecases import UseCases
from roulette.usecases.profile import EditRefused
from roulette.usecases.profile import Saved
from roulette.usecases.search import InChat


class EditProfile(StatesGroup):
    age = State()


# FSM data of EditProfile.age: the chat the user was in when asked (absent: asked outside a chat)
ASKED_IN_CHAT = "asked_in_chat"


def build_router(answers: TypedAnswers) -> Router:
    router = Router(name="profile")
    router.message.register(cmd_profile, or_f(Command("profile"), Pressed(ReplyButton.PROFILE)))
    router.callback_query.register(on_profile_button, MenuAction.filter(F.action == Menu.PROFILE))
    router.callback_query.register(on_edit, ProfileEdit.filter())
    router.callback_query.register(on_gender_edit, GenderChoice.filter(F.editing.is_(True)))
    answers.register(EditProfile.age, on_age_edit)
    router.callback_query.register(on_interest_edit, InterestToggle.filter(F.editing.is_(True)))
    return router


async def _complete_user(usecases: UseCases, user_id: int) -> User | None:
    user = await usecases.get_user(user_id)
    return user if user is not None and user.profile.is_complete else None


async def show_profile(event: Message | CallbackQuery, usecases: UseCases) -> None:
    """The profile card with its edit buttons, for the command and the menu's button alike."""
    found = await registered_user(event, usecases, complete=True)
    if found is not None:
        where, user = found
        await where.answer(profile_card(user), reply_markup=keyboards.profile_edit())


async def cmd_profile(message: Message, usecases: UseCases) -> None:
    await show_profile(message, usecases)


async def on_profile_button(query: CallbackQuery, usecases: UseCases) -> None:
    await show_profile(query, usecases)


async def on_edit(query: CallbackQuery, callback_data: ProfileEdit, state: FSMContext, usecases: UseCases) -> None:
    found = await registered_user(query, usecases, complete=True)
    if found is None:
        return
    where, user = found
    if callback_data.field is ProfileField.GENDER:
        await where.answer(_("What is your gender?"), reply_markup=keyboards.gender_choice(editing=True))
    elif callback_data.field is ProfileField.AGE:
        status = await usecases.get_current_chat(user.id)
        await state.set_state(EditProfile.age)
        if isinstance(status, InChat):
            # what a user in a chat types goes to the partner: the question says where the next
            # message goes, and remembers the chat it was asked in (see on_age_edit)
            await state.set_data({ASKED_IN_CHAT: status.chat_id})
            await where.answer(age_question_in_chat())
        else:
            await state.set_data({})
            await where.answer(age_question())
    elif callback_data.field is ProfileField.INTERESTS:
        await where.answer(
            _("Pick your interests, then press Done."),
            reply_markup=keyboards.interests_choice(user.profile.interests, editing=True),
        )


async def on_gender_edit(
    query: CallbackQuery, callback_data: GenderChoice, usecases: UseCases, courier: Courier
) -> None:
    user = await _complete_user(usecases, query.from_user.id)
    if user is None:
        await query.answer(no_longer_active())
        return
    updated = await usecases.update_profile(user.id, replace(user.profile, gender=callback_data.gender))
    await query.answer(_("Saved"))
    await show_choice(query, gender_name(callback_data.gender))
    if isinstance(updated, Saved):
        await courier.announce_change(updated)
        if query.message is not None:
            await query.message.answer(profile_card(updated.user), reply_markup=keyboards.profile_edit())


async def on_age_edit(message: Message, state: FSMContext, usecases: UseCases, courier: Courier) -> bool:
    """The answer to "How old are you?" from Edit age. In a chat, only an age sent right after the
    question was asked in that same chat is an answer: anything else is words to the partner, and
    closes the question so that nothing typed later is taken for an age either."""
    assert message.from_user is not None
    try:
        age: int | None = parse_age(message.text or "")
    except InvalidAge:
        age = None
    status = await usecases.get_current_chat(message.from_user.id)
    if isinstance(status, InChat):
        asked_here = (await state.get_data()).get(ASKED_IN_CHAT) == status.chat_id
        if age is None or not asked_here:
            await state.clear()
            return False
    if age is None:
        await message.answer(not_an_age())
        return True
    user = await _complete_user(usecases, message.from_user.id)
    await state.clear()
    if user is None:
        await message.answer(needs_start())
        return True
    updated = await usecases.update_profile(user.id, replace(user.profile, age=age))
    if updated is EditRefused.AGE_ACROSS_THE_WALL:
        await message.answer(age_class_fixed())
    elif isinstance(updated, Saved):
        await courier.announce_change(updated)
        await message.answer(profile_card(updated.user), reply_markup=keyboards.profile_edit())
    return True


async def on_interest_edit(
    query: CallbackQuery, callback_data: InterestToggle, usecases: UseCases, courier: Courier
) -> None:
    user = await _complete_user(usecases, query.from_user.id)
    if user is None:
        await query.answer(no_longer_active())
        return
    if callback_data.tag == DONE:
        await query.answer(_("Saved"))
        await show_choice(query, interests_list(user.profile.interests))
        if query.message is not None:
            await query.message.answer(profile_card(user), reply_markup=keyboards.profile_edit())
        return
    try:
        interests = user.profile.interests.toggled(callback_data.tag)
    except InvalidInterest:
        await query.answer(use_the_buttons())
        return
    updated = await usecases.update_profile(user.id, replace(user.profile, interests=interests))
    await query.answer()
    if isinstance(updated, Saved):
        await courier.announce_change(updated)
    if isinstance(query.message, Message):  # not an inaccessible (too old) message
        await query.message.edit_reply_markup(reply_markup=keyboards.interests_choice(interests, editing=True))
