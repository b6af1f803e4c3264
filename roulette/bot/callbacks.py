"""Button payloads. None carries a Telegram user id: chat buttons carry the chat id, and the
server checks that the presser was in that chat."""

from __future__ import annotations

from typing import Annotated

from aiogram.filters.callback_data import CallbackData
from pydantic import Field

# A chats.id (BIGINT): a forged number outside it makes the button data invalid, like any other junk.
ChatId = Annotated[int, Field(ge=1, le=2**63 - 1)]


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
    chat_id: ChatId
    value: int  # 1 or -1


class Report(CallbackData, prefix="rp"):
    chat_id: ChatId
    reason: str = ""  # empty: ask for a reason


class BlockPartner(CallbackData, prefix="b"):
    chat_id: ChatId


class LanguageChoice(CallbackData, prefix="l"):
    code: str


class DeleteConfirm(CallbackData, prefix="d"):
    confirm: bool
