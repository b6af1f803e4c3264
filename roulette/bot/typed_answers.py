"""The questions a user answers by typing (an age, say), and which feature takes each answer.

A typed answer arrives as an ordinary message, so the relay is the first to see it; it reads
the user's FSM state in its own query (see roulette/bot/middlewares.py StateOnDemand) and hands
the message to whichever feature registered that state here. Nothing typed to a partner may be
swallowed: a handler that finds the message is no answer says so, and the relay sends it on.
"""

from __future__ import annotations

from collections.abc import Awaitable
from collections.abc import Callable

from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import Message

from roulette.bot.delivery import Courier
from roulette.usecases import UseCases

# True: the message was taken as the answer. False: it is no answer (a user in a chat typing to
# their partner), the handler has closed the question, and the message goes to the partner.
AnswerHandler = Callable[[Message, FSMContext, UseCases, Courier], Awaitable[bool]]


class TypedAnswers:
    def __init__(self) -> None:
        self._handlers: dict[str, AnswerHandler] = {}

    def register(self, state: State, handler: AnswerHandler) -> None:
        name = str(state.state)
        if name in self._handlers:
            raise ValueError(f"{name} already has an answer handler")
        self._handlers[name] = handler

    @property
    def states(self) -> tuple[str, ...]:
        return tuple(self._handlers)

    def handler_for(self, state: str | None) -> AnswerHandler | None:
        return self._handlers.get(state or "")
