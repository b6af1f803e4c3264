"""The keyboard under the input field: what a user can do in their state, one tap away.

idle → Search · Profile · Settings · Help; searching → Cancel; in a chat → Next · Stop. It is sent
with the notices that change the state. A message that is exactly a label, in the user's
language, is that command; anything else typed in a chat goes to the partner as before.
"""

from __future__ import annotations

import enum

from aiogram.types import KeyboardButton
from aiogram.types import ReplyKeyboardMarkup
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import lazy_gettext as __
from aiogram.utils.i18n.lazy_proxy import LazyProxy

from roulette.usecases.search import ChatStatus
from roulette.usecases.search import InChat
from roulette.usecases.search import Unpaired


class ReplyButton(enum.StrEnum):
    SEARCH = "search"
    PROFILE = "profile"
    SETTINGS = "settings"
    HELP = "help"
    CANCEL = "cancel"
    NEXT = "next"
    STOP = "stop"


# Short enough for two columns on a 390 px wide phone, in every language.
_LABELS: dict[ReplyButton, LazyProxy] = {
    ReplyButton.SEARCH: __("🔎 Search"),
    ReplyButton.PROFILE: __("👤 Profile"),
    ReplyButton.SETTINGS: __("⚙️ Settings"),
    ReplyButton.HELP: __("❓ Help"),
    ReplyButton.CANCEL: __("✖️ Cancel"),
    ReplyButton.NEXT: __("⏭ Next"),
    ReplyButton.STOP: __("⏹ Stop"),
}

# Every chat message is checked against the labels: one dict per language, built on first use.
_BUTTONS_BY_LABEL: dict[str, dict[str, ReplyButton]] = {}


def label(button: ReplyButton) -> str:
    return str(_LABELS[button])


def button_labelled(text: str) -> ReplyButton | None:
    """The button whose label, in the current user's language, is exactly this text."""
    locale = get_i18n().current_locale
    buttons = _BUTTONS_BY_LABEL.get(locale)
    if buttons is None:
        buttons = _BUTTONS_BY_LABEL[locale] = {label(button): button for button in ReplyButton}
    return buttons.get(text)


def _keyboard(*rows: tuple[ReplyButton, ...]) -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text=label(button)) for button in row] for row in rows],
        resize_keyboard=True,
        is_persistent=True,
    )


def idle() -> ReplyKeyboardMarkup:
    return _keyboard((ReplyButton.SEARCH, ReplyButton.PROFILE), (ReplyButton.SETTINGS, ReplyButton.HELP))


def searching() -> ReplyKeyboardMarkup:
    return _keyboard((ReplyButton.CANCEL,))


def in_chat() -> ReplyKeyboardMarkup:
    return _keyboard((ReplyButton.NEXT, ReplyButton.STOP))


def for_status(status: ChatStatus) -> ReplyKeyboardMarkup:
    if isinstance(status, InChat):
        return in_chat()
    return searching() if status is Unpaired.SEARCHING else idle()
