"""/start and the first-time profile: gender, age, interests."""

from __future__ import annotations

from aiogram import F
from aiogram import Router
from aiogram.filters import CommandStart
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.fsm.state import StatesGroup
from aiogram.types import CallbackQuery
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from roulette.bot import keyboards
from roulette.bot import reply_keyboard
from roulette.bot.callbacks import DONE
from roulette.bot.callbacks import GenderChoice
from roulette.bot.callbacks import InterestToggle
from roulette.bot.choices import show_choice
from roulette.bot.delivery import Courier
from roulette.bot.languages import Languages
from roulette.bot.texts import age_question
from roulette.bot.texts import gender_name
from roulette.bot.texts import interests_list
from roulette.bot.texts import not_an_age
from roulette.bot.texts import use_the_buttons
from roulette.bot.typed_answers import TypedAnswers
from roulette.domain import Gender
from roulette.domain import Interests
from roulette.domain import InvalidAge
from roulette.domain import InvalidInterest
from roulette.domain import Language
from roulette.domain import Profile
from roulette.domain import parse_age
from roulette.settings import Settings
from roulette.usecases import UseCases


class Onboarding(StatesGroup):
    gender = State()
    age = State()
    interests = State()


def build_router(answers: TypedAnswers) -> Router:
    router = Router(name="onboarding")
    router.message.register(cmd_start, CommandStart())
    router.callback_query.register(on_gender, StateFilter(Onboarding.gender), GenderChoice.filter(F.editing.is_(False)))
    answers.register(Onboarding.age, on_age)
    router.callback_query.register(
        on_interest, StateFilter(Onboarding.interests), InterestToggle.filter(F.editing.is_(False))
    )
    return router


async def cmd_start(
    message: Message, state: FSMContext, usecases: UseCases, languages: Languages, settings: Settings
) -> None:
    # Deep-link payloads (/start <payload>) are deliberately ignored.
    assert message.from_user is not None
    language = Language.from_code(message.from_user.language_code, Language(settings.default_language))
    registered = await usecases.register_user(message.from_user.id, language)
    languages.remember(message.from_user.id, registered.user.language)
    if registered.user.profile.is_complete:
        await state.clear()
        keyboard = reply_keyboard.for_status(await usecases.get_current_chat(message.from_user.id))
        await message.answer(_("Welcome back! Ready for a new conversation?"), reply_markup=keyboard)
        return
    await state.set_state(Onboarding.gender)
    await state.set_data({})
    await message.answer(
        _(
            "👋 Welcome to <b>Anochat</b> — anonymous one-on-one chats with strangers.\n"
            "Nobody ever sees your name, username or id.\n\n"
            "Let's set up your profile. What is your gender?"
        ),
        reply_markup=keyboards.gender_choice(),
    )


async def on_gender(query: CallbackQuery, callback_data: GenderChoice, state: FSMContext) -> None:
    await state.update_data(gender=callback_data.gender.value)
    await state.set_state(Onboarding.age)
    await query.answer()
    await show_choice(query, gender_name(callback_data.gender))
    if query.message is not None:
        await query.message.answer(age_question())


async def on_age(message: Message, state: FSMContext, _usecases: UseCases, _courier: Courier) -> bool:
    """The answer to "How old are you?" during onboarding (nobody is in a chat before it is done)."""
    try:
        age = parse_age(message.text or "")
    except InvalidAge:
        await message.answer(not_an_age())
        return True
    await state.update_data(age=age, interests=[])
    await state.set_state(Onboarding.interests)
    await message.answer(
        _("Pick your interests (any number), then press Done."), reply_markup=keyboards.interests_choice(Interests())
    )
    return True


async def on_interest(
    query: CallbackQuery,
    callback_data: InterestToggle,
    state: FSMContext,
    usecases: UseCases,
) -> None:
    assert query.from_user is not None
    data = await state.get_data()
    try:
        interests = Interests.of(data.get("interests", []))
        if callback_data.tag != DONE:
            interests = interests.toggled(callback_data.tag)
    except InvalidInterest:
        await query.answer(use_the_buttons())
        return
    if callback_data.tag != DONE:
        await state.update_data(interests=interests.ordered())
        await query.answer()
        if isinstance(query.message, Message):  # not an inaccessible (too old) message
            await query.message.edit_reply_markup(reply_markup=keyboards.interests_choice(interests))
        return
    profile = Profile(gender=Gender(data["gender"]), age=int(data["age"]), interests=interests)
    await usecases.update_profile(query.from_user.id, profile)
    await state.clear()
    await query.answer(_("Profile saved"))
    await show_choice(query, interests_list(interests))
    if query.message is not None:
        await query.message.answer(
            _("All set! Press 🔎 Search to meet someone, or send /search."), reply_markup=reply_keyboard.idle()
        )
