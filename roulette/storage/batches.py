"""Requests that reach the database in the same moment, sent as one statement."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable
from collections.abc import Callable
from collections.abc import Hashable
from typing import Generic
from typing import TypeVar

K = TypeVar("K", bound=Hashable)
R = TypeVar("R")
T = TypeVar("T")


class Batches(Generic[K, R, T]):
    """Requests made in the same turn of the event loop under the same key run as one batch.

    Under load many handlers reach the same statement at once; one statement for all of them costs
    the database one round trip, one execution and one commit instead of one each, which is most of
    what a short statement costs it (docs/performance.md). No request waits for company: a batch
    starts in the next turn of the loop with whatever arrived before it, so a lone request goes at
    once, alone.

    `run(key, requests)` returns one result per request, in order. When a batch of several fails,
    each of its requests runs again on its own: one bad request fails alone, and the others get
    their results. A request whose caller was cancelled before its batch started is left out.
    """

    def __init__(self, run: Callable[[K, list[R]], Awaitable[list[T]]]) -> None:
        self._run = run
        self._pending: dict[K, list[tuple[R, asyncio.Future[T]]]] = {}
        self._running: set[asyncio.Task[None]] = set()

    async def submit(self, key: K, request: R) -> T:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        waiting = self._pending.get(key)
        if waiting is None:
            waiting = self._pending[key] = []
            # a fresh context: the batch belongs to none of the updates whose requests it carries
            loop.call_soon(self._start, key, context=contextvars.Context())
        waiting.append((request, future))
        return await future

    def _start(self, key: K) -> None:
        items = [(request, future) for request, future in self._pending.pop(key) if not future.done()]
        if not items:
            return
        task = asyncio.create_task(self._run_batch(key, items))
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _run_batch(self, key: K, items: list[tuple[R, asyncio.Future[T]]]) -> None:
        try:
            results = await self._run(key, [request for request, _ in items])
            if len(results) != len(items):
                raise RuntimeError(f"a batch of {len(items)} requests gave {len(results)} results")
        except asyncio.CancelledError:
            for _, future in items:
                future.cancel()
            raise
        except Exception as error:
            if len(items) == 1:
                _fail(items[0][1], error)
            else:
                await asyncio.gather(*(self._run_batch(key, [item]) for item in items))
            return
        for (_, future), result in zip(items, results, strict=True):
            _resolve(future, result)


# A future is done already when its caller was cancelled while the batch ran.


def _resolve(future: asyncio.Future[T], result: T) -> None:
    if not future.done():
        future.set_result(result)


def _fail(future: asyncio.Future[T], error: Exception) -> None:
    if not future.done():
        future.set_exception(error)
