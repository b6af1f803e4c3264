"""How a family of Bot API methods declares what it serves (like aiohttp's ``RouteTableDef``)."""

from __future__ import annotations

from collections.abc import Awaitable
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import Any
from typing import TypeVar

from ..params import Params

if TYPE_CHECKING:
    from ..server import BotAPIEmulator

#: Uploaded files of a request: field name → (file name, bytes).
Files = dict[str, tuple[str, bytes]]
Handler = Callable[["BotAPIEmulator", Any, Files], Awaitable[Any]]
H = TypeVar("H", bound=Handler)


class RawResult:
    """A result that is already serialised JSON (getUpdates hands out stored updates as they are)."""

    __slots__ = ("data",)

    def __init__(self, data: bytes) -> None:
        self.data = data


@dataclass(frozen=True, slots=True)
class Method:
    name: str
    params: type[Params]
    handler: Handler


class MethodTable:
    """Bot API methods of one family: ``@table.method("sendMessage", params.SendMessage)``."""

    def __init__(self) -> None:
        self.methods: list[Method] = []

    def method(self, name: str, params: type[Params]) -> Callable[[H], H]:
        def register(handler: H) -> H:
            self.methods.append(Method(name, params, handler))
            return handler

        return register
