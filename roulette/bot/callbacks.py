"""Button payloads. None carries a Telegram user id: chat buttons carry the chat id, and the
server checks that the presser was in that chat."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class MenuAction(CallbackData, prefix="m"):
    action: str  # search | cancel | profile | settings | help


class GenderChoice(CallbackData, prefix="g"):
    gender: str  # male | female
    editing: bool = False


class InterestToggle(CallbackData, prefix="i"):
    tag: str  # a catalog tag, or "done"
    editing: bool = False


class ProfileEdit(CallbackData, prefix="pe"):
    field: str  # gender | age | interests


class PreferenceChoice(CallbackData, prefix="pf"):
    field: str  # gender | age | interests | back
    value: str = ""


class Rate(CallbackData, prefix="r"):
    chat_id: int
    value: int  # 1 or -1


class Report(CallbackData, prefix="rp"):
    chat_id: int
    reason: str = ""  # empty: ask for a reason


class BlockPartner(CallbackData, prefix="b"):
    chat_id: int


class LanguageChoice(CallbackData, prefix="l"):
    code: str


class DeleteConfirm(CallbackData, prefix="d"):
    confirm: bool
