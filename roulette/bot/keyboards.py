"""Inline keyboards (under a message), built in the user's language."""

from __future__ import annotations

from uuid import UUID

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from roulette.bot.callbacks import DONE
from roulette.bot.callbacks import AdminReport
from roulette.bot.callbacks import AskAgain
from roulette.bot.callbacks import BlockPartner
from roulette.bot.callbacks import DeleteConfirm
from roulette.bot.callbacks import GenderChoice
from roulette.bot.callbacks import InterestToggle
from roulette.bot.callbacks import InvitationReply
from roulette.bot.callbacks import LanguageChoice
from roulette.bot.callbacks import MediaChoice
from roulette.bot.callbacks import PreferenceChoice
from roulette.bot.callbacks import PreferenceField
from roulette.bot.callbacks import ProfileEdit
from roulette.bot.callbacks import ProfileField
from roulette.bot.callbacks import Rate
from roulette.bot.callbacks import ReconnectAnswer
from roulette.bot.callbacks import Report
from roulette.bot.callbacks import ReportAction
from roulette.bot.callbacks import Vote
from roulette.bot.texts import gender_name
from roulette.bot.texts import interest_name
from roulette.bot.texts import interests_mode_button
from roulette.bot.texts import media_delivery_name
from roulette.bot.texts import partner_gender_name
from roulette.bot.texts import partner_language_button
from roulette.domain import INTEREST_CATALOG
from roulette.domain import Gender
from roulette.domain import Interests
from roulette.domain import InterestsMode
from roulette.domain import Language
from roulette.domain import MediaDelivery
from roulette.domain import PartnerGender
from roulette.domain import PartnerLanguage
from roulette.domain import ReportReason
from roulette.domain import SearchPreferences
from roulette.domain import is_adult

# The partner age ranges on offer: those of the user's own class (a partner is always in it).
MINOR_AGE_RANGES: tuple[tuple[int, int], ...] = ((13, 15), (16, 17), (13, 17))
ADULT_AGE_RANGES: tuple[tuple[int, int], ...] = ((18, 24), (25, 34), (35, 49), (50, 99), (18, 99))


def age_ranges(age: int | None) -> tuple[tuple[int, int], ...]:
    """Without a declared age yet, every range."""
    if age is None:
        return MINOR_AGE_RANGES + ADULT_AGE_RANGES
    return ADULT_AGE_RANGES if is_adult(age) else MINOR_AGE_RANGES


def gender_choice(editing: bool = False) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for gender in Gender:
        builder.button(text=gender_name(gender), callback_data=GenderChoice(gender=gender, editing=editing))
    return builder.as_markup()


def interests_choice(selected: Interests, editing: bool = False) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for tag in INTEREST_CATALOG:
        mark = "✅ " if tag in selected.tags else ""
        builder.button(text=mark + interest_name(tag), callback_data=InterestToggle(tag=tag, editing=editing))
    builder.button(text=_("Done ✔️"), callback_data=InterestToggle(tag=DONE, editing=editing))
    builder.adjust(3, 3, 3, 3, 1)
    return builder.as_markup()


def profile_edit() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Edit gender"), callback_data=ProfileEdit(field=ProfileField.GENDER))
    builder.button(text=_("Edit age"), callback_data=ProfileEdit(field=ProfileField.AGE))
    builder.button(text=_("Edit interests"), callback_data=ProfileEdit(field=ProfileField.INTERESTS))
    builder.adjust(2, 1)
    return builder.as_markup()


def preferences_menu(preferences: SearchPreferences, media: MediaDelivery, age: int | None) -> InlineKeyboardMarkup:
    """Partner gender, age range (within the class of the user's `age`), interests mode, and how
    the partner's media reach the user."""
    builder = InlineKeyboardBuilder()
    ranges = age_ranges(age)
    for gender in PartnerGender:
        mark = "• " if gender is preferences.partner_gender else ""
        choice = PreferenceChoice(field=PreferenceField.GENDER, value=gender.value)
        builder.button(text=mark + partner_gender_name(gender), callback_data=choice)
    for low, high in ranges:
        mark = "• " if (low, high) == (preferences.age_min, preferences.age_max) else ""
        choice = PreferenceChoice(field=PreferenceField.AGE, value=f"{low}-{high}")
        builder.button(text=f"{mark}{low}–{high}", callback_data=choice)
    for mode in InterestsMode:
        mark = "• " if mode is preferences.interests_mode else ""
        choice = PreferenceChoice(field=PreferenceField.INTERESTS, value=mode.value)
        builder.button(text=mark + interests_mode_button(mode), callback_data=choice)
    for language in PartnerLanguage:
        mark = "• " if language is preferences.partner_language else ""
        choice = PreferenceChoice(field=PreferenceField.LANGUAGE, value=language.value)
        builder.button(text=mark + partner_language_button(language), callback_data=choice)
    for delivery in MediaDelivery:
        mark = "• " if delivery is media else ""
        builder.button(text=mark + media_delivery_name(delivery), callback_data=MediaChoice(delivery=delivery))
    builder.button(text=_("Done ✔️"), callback_data=PreferenceChoice(field=PreferenceField.DONE))
    age_rows = [3] * (len(ranges) // 3) + [len(ranges) % 3] * (len(ranges) % 3 > 0)
    builder.adjust(3, *age_rows, 2, 1, 2, 3, 1)
    return builder.as_markup()


def after_chat(chat_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text="👍", callback_data=Rate(chat_id=chat_id, value=Vote.LIKE))
    builder.button(text="👎", callback_data=Rate(chat_id=chat_id, value=Vote.DISLIKE))
    builder.button(text=_("🚩 Report"), callback_data=Report(chat_id=chat_id))
    builder.button(text=_("⛔ Block"), callback_data=BlockPartner(chat_id=chat_id))
    builder.button(text=_("🔁 Ask to talk again"), callback_data=AskAgain(chat_id=chat_id))
    builder.adjust(2, 2, 1)
    return builder.as_markup()


def after_chat_rated(chat_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("🚩 Report"), callback_data=Report(chat_id=chat_id))
    builder.button(text=_("⛔ Block"), callback_data=BlockPartner(chat_id=chat_id))
    builder.button(text=_("🔁 Ask to talk again"), callback_data=AskAgain(chat_id=chat_id))
    builder.adjust(2, 1)
    return builder.as_markup()


def reconnect_invitation(token: UUID) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("✅ Accept"), callback_data=ReconnectAnswer(reply=InvitationReply.ACCEPT, token=token))
    builder.button(text=_("✖️ Decline"), callback_data=ReconnectAnswer(reply=InvitationReply.DECLINE, token=token))
    return builder.as_markup()


def report_reasons(chat_id: int, *, block: bool = True, copy_id: int = 0) -> InlineKeyboardMarkup:
    """One button per reason, and the "also block" switch (on unless the reporter turns it off)."""
    from roulette.bot.texts import report_reason_name

    builder = InlineKeyboardBuilder()
    for reason in ReportReason:
        builder.button(
            text=report_reason_name(reason),
            callback_data=Report(chat_id=chat_id, reason=reason, block=block, copy_id=copy_id),
        )
    builder.button(
        text=_("☑️ Also block this person") if block else _("⬜ Also block this person"),
        callback_data=Report(chat_id=chat_id, block=not block, copy_id=copy_id),
    )
    builder.adjust(1)
    return builder.as_markup()


def block_only(chat_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("⛔ Block"), callback_data=BlockPartner(chat_id=chat_id))
    return builder.as_markup()


def report_queue(tokens: list[UUID]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for number, token in enumerate(tokens, start=1):
        builder.button(
            text=_("Open #{number}").format(number=number),
            callback_data=AdminReport(action=ReportAction.OPEN, token=token),
        )
    builder.adjust(4)
    return builder.as_markup()


def report_actions(token: UUID, *, closed: bool) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("👁 Reveal the reported user's id"), callback_data=AdminReport(action=ReportAction.REVEAL, token=token)
    )
    if not closed:
        builder.button(
            text=_("✔️ Close, keep the ban"), callback_data=AdminReport(action=ReportAction.KEEP, token=token)
        )
        builder.button(
            text=_("↩️ Close, lift the ban"), callback_data=AdminReport(action=ReportAction.LIFT, token=token)
        )
    builder.adjust(1)
    return builder.as_markup()


def open_report(token: UUID) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Open the report"), callback_data=AdminReport(action=ReportAction.OPEN, token=token))
    return builder.as_markup()


def languages() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text="English", callback_data=LanguageChoice(code=Language.EN))
    builder.button(text="Русский", callback_data=LanguageChoice(code=Language.RU))
    return builder.as_markup()


def delete_confirmation() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Yes, delete everything"), callback_data=DeleteConfirm(confirm=True))
    builder.button(text=_("No, keep it"), callback_data=DeleteConfirm(confirm=False))
    builder.adjust(1)
    return builder.as_markup()
