"""Injected failures and delays: how tests make the emulator behave like a Telegram having a bad day."""

from __future__ import annotations

from dataclasses import dataclass

from .models import ApiError

_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request: injected failure",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


@dataclass(slots=True)
class Fault:
    """A pending injected failure (see :meth:`Faults.fail_next`)."""

    method: str | None
    status: int
    retry_after: int | None
    remaining: int
    chat_id: int | None
    description: str | None
    apply: bool

    def matches(self, method: str, chat_id: int | None) -> bool:
        if self.method is not None and self.method.lower() != method.lower():
            return False
        return self.chat_id is None or self.chat_id == chat_id

    def error(self) -> ApiError:
        if self.status == 429:
            retry = self.retry_after if self.retry_after is not None else 1
            return ApiError(429, self.description or f"Too Many Requests: retry after {retry}", retry_after=retry)
        return ApiError(self.status, self.description or _DEFAULT_DESCRIPTIONS.get(self.status, "Error"))


class Faults:
    """The pending failures and the response delays, per Bot API method."""

    def __init__(self) -> None:
        self._pending: list[Fault] = []
        self._delays: dict[str | None, float] = {}

    def __bool__(self) -> bool:
        return bool(self._pending)

    def fail_next(
        self,
        method: str | None = None,
        status: int = 429,
        *,
        retry_after: int | None = 1,
        count: int = 1,
        chat_id: int | None = None,
        description: str | None = None,
        apply: bool = False,
    ) -> Fault:
        """Fail the next ``count`` calls of ``method`` (any method if ``None``).

        ``status=0`` drops the connection without an answer; ``apply=True``
        executes the call before answering with the error (a lost response).
        """
        fault = Fault(
            method=method,
            status=status,
            retry_after=retry_after if status == 429 else None,
            remaining=count,
            chat_id=chat_id,
            description=description,
            apply=apply,
        )
        self._pending.append(fault)
        return fault

    def set_delay(self, method: str | None = None, seconds: float = 0.2) -> None:
        """Delay answers of ``method`` (every method if ``None``); 0 removes the delay."""
        key = method.lower() if method else None
        if seconds > 0:
            self._delays[key] = seconds
        else:
            self._delays.pop(key, None)

    def delay(self, method: str) -> float:
        if not self._delays:
            return 0.0
        return self._delays.get(method.lower(), self._delays.get(None, 0.0))

    def clear(self) -> None:
        self._pending.clear()
        self._delays.clear()

    def take(self, method: str, chat_id: int | None) -> Fault | None:
        for fault in self._pending:
            if fault.remaining > 0 and fault.matches(method, chat_id):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._pending.remove(fault)
                return fault
        return None
