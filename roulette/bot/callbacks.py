"""Button payloads. None carries a Telegram user id: chat buttons carry the chat id, and the
server checks that the presser was in that chat.

Choices are Enum fields, so data that names a choice never offered does not even parse; the
fallback router answers it (see `names_an_unoffered_choice`).
"""

from __future__ import annotations

import enum
from typing import Annotated
from uuid import UUID

from aiogram.filters.callback_data import CallbackData
from pydantic import Field
from pydantic import ValidationError

from roulette.domain import Gender
from roulette.domain import Language
from roulette.domain import MediaDelivery
from roulette.domain import ReportReason

# A chats.id (BIGINT): a forged number outside it makes the button data invalid, like any other junk.
ChatId = Annotated[int, Field(ge=1, le=2**63 - 1)]


class Menu(enum.StrEnum):
    SEARCH = "search"
    CANCEL = "cancel"
    PROFILE = "profile"
    SETTINGS = "settings"
    HELP = "help"


class ProfileField(enum.StrEnum):
    GENDER = "gender"
    AGE = "age"
    INTERESTS = "interests"


class PreferenceField(enum.StrEnum):
    GENDER = "gender"
    AGE = "age"
    INTERESTS = "interests"
    DONE = "done"
    LANGUAGE = "language"


class Vote(enum.IntEnum):
    LIKE = 1
    DISLIKE = -1


class MenuAction(CallbackData, prefix="m"):
    action: Menu


class GenderChoice(CallbackData, prefix="g"):
    gender: Gender
    editing: bool = False


class InterestToggle(CallbackData, prefix="i"):
    tag: str  # a catalog tag (the domain checks it), or DONE
    editing: bool = False


DONE = "done"


class ProfileEdit(CallbackData, prefix="pe"):
    field: ProfileField


class PreferenceChoice(CallbackData, prefix="pf"):
    field: PreferenceField
    value: str = ""  # its form depends on the field; the domain checks it


class Rate(CallbackData, prefix="r"):
    chat_id: ChatId
    value: Vote


class Report(CallbackData, prefix="rp"):
    chat_id: ChatId
    reason: ReportReason | None = None  # None: ask for a reason
    block: bool = True  # block the pair too (the reporter can turn it off before choosing a reason)
    # the evidence: the id of the partner's message as the reporter received it, in their own
    # chat with the bot (0: none); it names nobody
    copy_id: Annotated[int, Field(ge=0, le=2**31 - 1)] = 0


class BlockPartner(CallbackData, prefix="b"):
    chat_id: ChatId


class AskAgain(CallbackData, prefix="ag"):
    """Ask the other side of an ended chat to talk again."""

    chat_id: ChatId


class InvitationReply(enum.StrEnum):
    ACCEPT = "accept"
    DECLINE = "decline"


class ReconnectAnswer(CallbackData, prefix="ra"):
    """The invitee's answer to an invitation to talk again: the invitation's random token, which
    names neither side nor the chat; the server checks that the presser is its invitee."""

    reply: InvitationReply
    token: UUID


class LanguageChoice(CallbackData, prefix="l"):
    code: Language


class DeleteConfirm(CallbackData, prefix="d"):
    confirm: bool


class MediaChoice(CallbackData, prefix="md"):
    delivery: MediaDelivery


class ReportAction(enum.StrEnum):
    OPEN = "open"
    REVEAL = "reveal"
    KEEP = "keep"  # close, keeping the reported user's ban
    LIFT = "lift"  # close, lifting it


class AdminReport(CallbackData, prefix="ar"):
    """An admin's button on a report: the report's random token, never a sequential id."""

    action: ReportAction
    token: UUID


# Buttons that offer a choice among several: a forged choice gets "use the buttons" rather than
# "no longer active", since the same message's real buttons still work.
_CHOICE_BUTTONS: tuple[type[CallbackData], ...] = (
    GenderChoice,
    ProfileEdit,
    PreferenceChoice,
    Report,
    LanguageChoice,
    MediaChoice,
    ReconnectAnswer,
)


def names_an_unoffered_choice(data: str) -> bool:
    """Button data of a choosing kind, well formed except for a choice that was never offered."""
    for kind in _CHOICE_BUTTONS:
        try:
            kind.unpack(data)
        except ValidationError as error:
            return all(
                isinstance(issue["loc"][0], str) and _is_choice(kind, issue["loc"][0]) for issue in error.errors()
            )
        except (TypeError, ValueError):
            continue
    return False


def _is_choice(kind: type[CallbackData], field_name: str) -> bool:
    annotation = kind.model_fields[field_name].annotation
    choices = getattr(annotation, "__args__", (annotation,))
    return any(isinstance(choice, type) and issubclass(choice, enum.Enum) for choice in choices)
