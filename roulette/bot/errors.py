"""The one place unexpected errors end up: logged with the update id, the user gets an apology."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.methods import SendMessage
from aiogram.types import ErrorEvent
from aiogram.utils.i18n import gettext as _

from roulette.bot.middlewares import update_user

log = logging.getLogger("roulette.errors")
APOLOGY = "Sorry, something went wrong. Please try again."


async def on_error(event: ErrorEvent, bot: Bot) -> bool:
    update = event.update
    log.error(
        "update %s failed: %s: %s",
        update.update_id,
        type(event.exception).__name__,
        event.exception,
        exc_info=event.exception,
    )
    user = update_user(update)
    if user is not None:
        try:
            try:
                apology = _("Sorry, something went wrong. Please try again.")
            except LookupError:  # failed before the language was known
                apology = APOLOGY
            await bot(SendMessage(chat_id=user.id, text=apology))
        except Exception as error:  # the apology is best effort; the cause is already logged
            log.warning("could not apologise for update %s: %s", update.update_id, error)
    return True
