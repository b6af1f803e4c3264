"""How the routers are put together: rules that a docstring alone would not keep."""

from __future__ import annotations

from collections.abc import Iterator

from aiogram import Router
from aiogram.dispatcher.event.handler import HandlerObject
from aiogram.filters import StateFilter

from roulette.bot.app import App
from roulette.bot.filters import IsPrivate
from roulette.bot.routers import route
from roulette.bot.routers.relay import relay_edit
from roulette.bot.routers.relay import relay_message
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


def routed(answers: TypedAnswers | None = None) -> Router:
    root = Router(name="root")
    route(root, frozenset(), answers or TypedAnswers())
    return root


def test_no_handler_is_registered_twice() -> None:
    seen: list[object] = []

    def walk(router: Router) -> None:
        for observer in router.observers.values():
            seen.extend(handler.callback for handler in observer.handlers)
        for sub_router in router.sub_routers:
            walk(sub_router)

    walk(routed())
    assert seen and len(seen) == len(set(seen))


def test_routers_can_be_built_again_for_another_dispatcher() -> None:
    first, second = routed(), routed()
    assert first.sub_routers and {id(router) for router in first.sub_routers}.isdisjoint(
        id(router) for router in second.sub_routers
    )


def test_every_typed_answer_has_its_feature() -> None:
    answers = TypedAnswers()
    routed(answers)
    assert set(answers.states) == {"Onboarding:age", "EditProfile:age"}


def test_chat_messages_reach_the_relay_without_walking_a_router(app: App) -> None:
    # Each router level costs every message ~8 µs of aiogram's propagation (docs/performance.md):
    # the relay's handlers are the dispatcher's own, the first it tries.
    assert app.dispatcher.message.handlers[0].callback is relay_message
    assert app.dispatcher.edited_message.handlers[0].callback is relay_edit
    private_only = [type(filter_.callback) for filter_ in app.dispatcher.message._handler.filters or ()]
    assert IsPrivate in private_only  # groups never reach any handler
