"""How the routers are put together: rules that a docstring alone would not keep."""

from __future__ import annotations

from collections.abc import Iterator

from aiogram import Router
from aiogram.dispatcher.event.handler import HandlerObject
from aiogram.filters import StateFilter

from roulette.bot.app import App
from roulette.bot.routers import all_routers
from roulette.bot.typed_answers import TypedAnswers


def message_handlers(router: Router) -> Iterator[tuple[str, HandlerObject]]:
    for observer in (router.message, router.edited_message):
        for handler in observer.handlers:
            yield router.name, handler
    for sub_router in router.sub_routers:
        yield from message_handlers(sub_router)


def test_no_message_handler_filters_on_the_fsm_state(app: App) -> None:
    # Messages arrive without their FSM state loaded (roulette/bot/middlewares.py StateOnDemand):
    # such a filter would always see "no state". Typed answers go through TypedAnswers instead.
    offenders = [
        (router_name, handler.callback.__name__)
        for router_name, handler in message_handlers(app.dispatcher)
        if any(isinstance(filter_.callback, StateFilter) for filter_ in handler.filters or ())
    ]
    assert list(message_handlers(app.dispatcher)), "no message handler was found: the walk is broken"
    assert offenders == []


def test_no_handler_is_registered_twice() -> None:
    routers = all_routers(frozenset(), TypedAnswers())
    seen: list[object] = []

    def walk(router: Router) -> None:
        for observer in router.observers.values():
            seen.extend(handler.callback for handler in observer.handlers)
        for sub_router in router.sub_routers:
            walk(sub_router)

    for router in routers:
        walk(router)
    assert seen and len(seen) == len(set(seen))


def test_routers_can_be_built_again_for_another_dispatcher() -> None:
    first, second = all_routers(frozenset(), TypedAnswers()), all_routers(frozenset(), TypedAnswers())
    assert {id(router) for router in first}.isdisjoint(id(router) for router in second)


def test_every_typed_answer_has_its_feature() -> None:
    answers = TypedAnswers()
    all_routers(frozenset(), answers)
    assert set(answers.states) == {"Onboarding:age", "EditProfile:age"}
