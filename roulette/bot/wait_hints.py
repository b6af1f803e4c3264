"""Telling a user who has waited a while which of their own wishes narrows their pool most.

Every process sweeps the queue every few seconds; a user's hint is claimed by an update of their
own queue row (sql/claim_wait_hints.sql), so with any number of processes each waiting user is
told at most once per search. The hint is sent straight after the claim committed, not through
the outbox: it is advice, and a process dying in between costs one piece of advice, never a
chat. It names only the user's own wish, worked out from counts of the whole queue.
"""

from __future__ import annotations

import asyncio
import logging
from functools import partial

from aiogram.utils.i18n import gettext as _

from roulette.bot.delivery import Courier
from roulette.bot.texts import partner_gender_name
from roulette.usecases import UseCases
from roulette.usecases.search import WAIT_HINT_BATCH
from roulette.usecases.search import Unpaired
from roulette.usecases.search import WaitHint
from roulette.wishes import Wish

log = logging.getLogger(__name__)

# How often each process looks for users due a hint: one is told at most this long after
# WAIT_HINT_SECONDS.
HINT_SWEEP_SECONDS = 5.0


def wait_hint_text(hint: WaitHint) -> str:
    preferences = hint.user.preferences
    match hint.narrowest.wish:
        case Wish.PARTNER_AGE:
            return _("Few people searching now match partner age {age_min}–{age_max}: widen it in /settings").format(
                age_min=preferences.age_min, age_max=preferences.age_max
            )
        case Wish.PARTNER_GENDER:
            return _("Few people searching now match partner: {gender}. Widen it in /settings").format(
                gender=partner_gender_name(preferences.partner_gender)
            )
        case Wish.PARTNER_LANGUAGE:
            return _("Few people searching now speak your language: allow any language in /settings")
        case Wish.SHARED_INTERESTS:
            return _(
                "Few people searching now share one of your interests: add interests in /profile,"
                " or stop requiring a shared one in /settings"
            )


async def send_wait_hints(usecases: UseCases, courier: Courier) -> int:
    """Claim the users due a hint, batch after batch, and tell each the wish to widen; how many
    users were claimed."""
    claimed = 0
    while True:
        sweep = await usecases.claim_wait_hints()
        await tell(sweep.hints, usecases, courier)
        claimed += sweep.claimed
        if sweep.claimed < WAIT_HINT_BATCH:
            return claimed


async def tell(hints: list[WaitHint], usecases: UseCases, courier: Courier) -> None:
    """Send the claimed hints to those still searching: one paired since the claim (a batch's
    sends take a while) would read advice about a search that is over, after "partner found"."""
    for hint in hints:
        if await usecases.get_current_chat(hint.user.id) is Unpaired.SEARCHING:
            await courier.say(hint.user.id, partial(wait_hint_text, hint))


async def hint_waiting_periodically(usecases: UseCases, courier: Courier) -> None:
    while True:
        await asyncio.sleep(HINT_SWEEP_SECONDS)
        try:
            await send_wait_hints(usecases, courier)
        except Exception:
            log.exception("wait hints failed; retrying later")
