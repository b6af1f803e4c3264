"""/unsend: a user takes back a message they sent, and the partner's copy is deleted.

As a reply to one of their messages it unsends that one; without a reply, their last message in
the chat (one tap in the command menu, like an "undo"). Only the chat going on, and only within
the 48 hours Telegram lets a bot delete a message; the stored message is only marked, so a report
made afterwards still shows what the partner saw.
"""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.methods import DeleteMessage
from aiogram.types import Message
from aiogram.types import ReplyParameters
from aiogram.utils.i18n import gettext as _

from roulette.bot.delivery import Courier
from roulette.usecases import UseCases
from roulette.usecases.unsend import NotUnsent

log = logging.getLogger(__name__)


def build_router() -> Router:
    router = Router(name="unsend")
    router.message.register(cmd_unsend, Command("unsend"))
    return router


async def cmd_unsend(message: Message, usecases: UseCases, courier: Courier) -> None:
    sender = message.from_user
    if sender is None:
        return
    reply = message.reply_to_message
    if reply is not None and (reply.from_user is None or reply.from_user.id != sender.id):
        await message.answer(_("Only your own messages can be unsent: reply /unsend to one of yours."))
        return
    result = await usecases.unsend_message(sender.id, reply.message_id if reply is not None else None)
    if isinstance(result, NotUnsent):
        await message.answer(_why_not(result, replied=reply is not None))
        return
    done = _("Unsent: your partner no longer sees this message.")
    try:
        await courier.send(
            DeleteMessage(chat_id=result.partner_id, message_id=result.relayed_message_id),
            recipient=result.partner_id,
        )
    except TelegramBadRequest as error:
        if "not found" not in error.message.lower():  # not found: the partner deleted it already
            log.warning("unsent copy not deleted: %s", error.message)
            done = _("Telegram did not let the bot delete your partner's copy of this message.")
    await message.answer(
        done, reply_parameters=ReplyParameters(message_id=result.message_id, allow_sending_without_reply=True)
    )


def _why_not(reason: NotUnsent, *, replied: bool) -> str:
    match reason:
        case NotUnsent.NOT_IN_CHAT:
            return _("You are not in a chat: the messages of a chat that is over stay as they are.")
        case NotUnsent.NOT_IN_THIS_CHAT if replied:
            return _("That message is not from your current chat, so it can't be unsent.")
        case NotUnsent.NOT_IN_THIS_CHAT:
            return _("You have not sent anything in this chat yet.")
        case NotUnsent.NOT_DELIVERED:
            return _("That message has not reached your partner, so there is nothing to unsend.")
        case NotUnsent.ALREADY_UNSENT:
            return _("That message was already unsent.")
        case NotUnsent.TOO_OLD:
            return _(
                "That message is more than 48 hours old: Telegram no longer lets the bot delete your partner's copy."
            )
