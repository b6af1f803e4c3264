"""Webhook mode: three worker processes over one PostgreSQL, behind a router that loses answers.

Telegram posts every update to a router (a platform's load balancer), which spreads them
over three `python anochat.py run` webhook workers. The router can lose a worker's answer
after the update was handled — Telegram then posts the same update again — and a worker can
be killed with SIGKILL mid-load and started again.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import random
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
from aiohttp import web

from roulette.domain import Gender
from roulette.domain import Interests
from roulette.domain import Language
from roulette.domain import PartnerGender
from roulette.domain import Profile
from roulette.domain import SearchPreferences
from roulette.storage.uow import Database
from roulette.usecases import UseCases
from tests.support.bot_process import E2E_TOKEN
from tests.support.bot_process import ROOT
from tests.support.bot_process import BotProcess
from tests.support.bot_process import free_port
from tests.support.bot_process import webhook_settings
from tests.support.figures import no_violations
from tests.support.figures import report
from tests.support.figures import snapshot
from tests.support.live import LOAD_SETTINGS
from tests.support.live import WAIT
from tests.support.live import Load
from tests.support.live import copies
from tests.support.live import copy_of
from tests.support.live import eventually
from tests.support.live import pair
from tests.support.live import pairs
from tests.support.live import running_emulator
from tests.support.live import scratch_database
from tests.support.live import texts
from tgemulator import BotAPIEmulator
from tgemulator import SimUser

pytestmark = [pytest.mark.reliability, pytest.mark.e2e]

SECRET = "reliability-webhook-secret"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
WORKERS = 3
NOT_IN_CHAT = "You are not in a chat right now"
STILL_SEARCHING = "Still searching · /stop to cancel"
PARTNER_FOUND = "Partner found"


class Router:
    """Forwards Telegram's posts to the workers in turn; may lose a worker's answer.

    Losing the answer of an update the worker already handled is what a dropped connection
    or a platform timeout does: Telegram sees a failure and delivers the update again.
    """

    def __init__(self, workers: list[str]) -> None:
        self.workers = workers
        self.lose_rate = 0.0
        self.lost = 0
        self.forwarded = 0
        self.posts: list[bytes] = []
        self._turn = itertools.count()
        self._rng = random.Random(7)
        self._seen: set[int] = set()
        self._session: aiohttp.ClientSession | None = None
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/webhook", self._forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        port = free_port()
        await web.TCPSite(self._runner, "127.0.0.1", port).start()
        self.url = f"http://127.0.0.1:{port}/webhook"
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60))

    async def stop(self) -> None:
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _forward(self, request: web.Request) -> web.Response:
        assert self._session is not None
        body = await request.read()
        self.posts.append(body)
        worker = self.workers[next(self._turn) % len(self.workers)]
        headers = {"Content-Type": "application/json", SECRET_HEADER: request.headers.get(SECRET_HEADER, "")}
        try:
            async with self._session.post(worker, data=body, headers=headers) as answer:
                payload = await answer.read()
                status = answer.status
        except aiohttp.ClientError:
            return web.Response(status=502, text="worker unreachable")
        self.forwarded += 1
        update_id = json.loads(body)["update_id"]
        if status == 200 and update_id not in self._seen and self._rng.random() < self.lose_rate:
            self._seen.add(update_id)
            self.lost += 1
            return web.Response(status=502, text="answer lost")  # handled, but Telegram will retry
        self._seen.add(update_id)
        return web.Response(status=status, body=payload, content_type="application/json")


@dataclass
class Cluster:
    emulator: BotAPIEmulator
    pool: asyncpg.Pool[Any]
    usecases: UseCases
    router: Router
    workers: list[BotProcess]
    urls: list[str]
    people: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def user(self, name: str) -> SimUser:
        n = next(self.people)
        return self.emulator.user(f"{name}{n}", username=f"{name.lower()}_{n}_handle")


def worker(emulator: BotAPIEmulator, database_url: str, log: Path, port: int) -> BotProcess:
    return BotProcess(emulator, database_url, log, **webhook_settings(SECRET, port), **LOAD_SETTINGS)


async def start_worker(process: BotProcess, url: str) -> None:
    await process.start()
    await process.wait_serving(url.removesuffix("/webhook") + "/healthz")


@pytest.fixture(scope="module")
async def cluster(
    server_url: str, template_name: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Cluster]:
    logs = tmp_path_factory.mktemp("webhook")
    ports = [free_port() for _ in range(WORKERS)]
    urls = [f"http://127.0.0.1:{port}/webhook" for port in ports]
    async with scratch_database(server_url, template_name) as (database_url, pool), running_emulator() as emulator:
        workers = [worker(emulator, database_url, logs / f"worker{n}.log", port) for n, port in enumerate(ports)]
        router = Router(urls)
        await router.start()
        try:
            for process, url in zip(workers, urls, strict=True):
                await start_worker(process, url)
            emulator.set_webhook_targets([router.url])
            yield Cluster(emulator, pool, UseCases(Database(pool)), router, workers, urls)
        finally:
            statuses = [await process.stop() for process in workers]
            await router.stop()
    assert statuses == [0] * WORKERS, [process.log() for process in workers]


# --- settings and the secret ---------------------------------------------------------------------


async def test_webhook_mode_refuses_to_start_without_a_secret(pytestconfig: pytest.Config) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("WEBHOOK_")}
    env.update(BOT_TOKEN=E2E_TOKEN, WEBHOOK_URL="https://bot.example.org", DATABASE_URL="postgresql://nowhere/none")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "anochat.py"),
        "run",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), WAIT)
    lines = stderr.decode().strip().splitlines()
    assert process.returncode == 2
    assert len(lines) == 1 and "WEBHOOK_SECRET" in lines[0], lines
    assert stdout == b""
    report(pytestconfig, "webhook without a secret", exit_status=process.returncode, stderr_lines=len(lines))


async def test_a_post_without_the_right_secret_is_refused_and_changes_nothing(
    cluster: Cluster, pytestconfig: pytest.Config
) -> None:
    alice = cluster.user("Alice")
    forged = {
        "update_id": 990_000_001,
        "message": {
            "message_id": 1,
            "date": int(time.time()),
            "chat": {"id": alice.id, "type": "private"},
            "from": alice.api_user,
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }
    before, calls_before = await snapshot(cluster.pool), sum(cluster.emulator.calls.values())
    statuses = []
    async with aiohttp.ClientSession() as http:
        for url in cluster.urls:
            for headers in ({}, {SECRET_HEADER: "wrong-secret"}, {SECRET_HEADER: SECRET.upper()}):
                async with http.post(url, json=forged, headers=headers) as answer:
                    statuses.append(answer.status)
    await asyncio.sleep(0.3)
    assert set(statuses) == {401}
    assert await snapshot(cluster.pool) == before
    assert sum(cluster.emulator.calls.values()) == calls_before  # the bot called Telegram for nothing
    assert alice.inbox == []
    report(pytestconfig, "webhook wrong secret", requests=len(statuses), refused_401=statuses.count(401), changes=0)


# --- redelivery ----------------------------------------------------------------------------------


def posted(cluster: Cluster, check: Any) -> bytes:
    """The body Telegram posted for the update `check(update)` picks."""
    for body in cluster.router.posts:
        if check(json.loads(body)):
            return body
    raise LookupError("no such update was posted")


async def post_to_every_worker(cluster: Cluster, body: bytes) -> list[int]:
    statuses = []
    async with aiohttp.ClientSession() as http:
        for url in cluster.urls:
            async with http.post(url, data=body, headers={SECRET_HEADER: SECRET}) as answer:
                statuses.append(answer.status)
    return statuses


def sent_by(user: SimUser, message_id: int) -> Any:
    return lambda update: (
        update.get("message", {}).get("message_id") == message_id and (update["message"]["chat"]["id"] == user.id)
    )


async def test_an_update_posted_again_to_every_worker_has_its_effects_once(
    cluster: Cluster, pytestconfig: pytest.Config
) -> None:
    alice, bob = cluster.user("Alice"), cluster.user("Bob")
    await pair(cluster.usecases, alice, bob)
    statuses = []
    for action in ("relay", "stop"):
        if action == "relay":
            message_id = await alice.send_text("hello, exactly once")
            await bob.wait_for(copy_of(alice, message_id), WAIT)
        else:
            message_id = await alice.send_command("/stop")
            await bob.wait_for_text("Your partner has left", WAIT)
        await eventually(lambda: cluster.emulator.pending_updates == 0, "everything delivered")
        body = posted(cluster, sent_by(alice, message_id))
        before, inboxes = await snapshot(cluster.pool), (len(alice.inbox), len(bob.inbox))

        statuses += await post_to_every_worker(cluster, body)

        assert await snapshot(cluster.pool) == before, action
        assert (len(alice.inbox), len(bob.inbox)) == inboxes, action
    assert statuses == [200] * len(statuses)
    assert sum(copies(bob, alice).values()) == 1
    report(
        pytestconfig,
        "webhook redelivery to every worker",
        updates=2,
        duplicates_delivered=len(statuses),
        changes=0,
        messages_to_users=0,
    )


# --- concurrent load -----------------------------------------------------------------------------


@dataclass
class Person:
    user: SimUser
    age: int
    texts_sent: list[int] = field(default_factory=list)


async def live(person: Person, rounds: int, rng: random.Random) -> None:
    """Search, talk if paired, leave with /next or /stop; a few times over."""
    user = person.user
    for _ in range(rounds):
        seen = max(user.messages, default=0)
        await user.send_command(rng.choice(("/search", "/search", "/next")))
        try:
            await user.wait_for_text(PARTNER_FOUND, 3.0, after=seen)
        except TimeoutError:
            await user.send_command("/stop")
            await asyncio.sleep(rng.uniform(0.0, 0.3))
            continue
        for n in range(rng.randint(2, 6)):
            person.texts_sent.append(await user.send_text(f"{user.first_name} says {n}"))
            await asyncio.sleep(rng.uniform(0.01, 0.08))
        await asyncio.sleep(rng.uniform(0.1, 0.5))
        await user.send_command(rng.choice(("/stop", "/next")))
    await user.send_command("/stop")


async def test_three_workers_under_concurrent_load_and_lost_answers_keep_every_promise(
    cluster: Cluster, pytestconfig: pytest.Config
) -> None:
    rng = random.Random(11)
    people = []
    for n in range(36):
        person = Person(cluster.user("Load"), age=rng.choice((14, 15, 16, 17, 19, 22, 25, 31, 40, 55)))
        await cluster.usecases.register_user(person.user.id, Language.EN)
        await cluster.usecases.update_profile(
            person.user.id, Profile(Gender.MALE if n % 2 else Gender.FEMALE, person.age, Interests())
        )
        if n % 5 == 0:
            await cluster.usecases.update_preferences(person.user.id, SearchPreferences(PartnerGender.FEMALE))
        people.append(person)
    chats_before = await cluster.pool.fetchval("SELECT count(*) FROM chats")
    cluster.router.lose_rate = 0.15
    lost_before = cluster.router.lost
    started = time.monotonic()
    try:
        await asyncio.gather(*(live(person, 4, random.Random(n)) for n, person in enumerate(people)))
        await eventually(lambda: cluster.emulator.pending_updates == 0, "every update delivered", 60)
    finally:
        cluster.router.lose_rate = 0.0
    elapsed = time.monotonic() - started
    await asyncio.sleep(0.5)

    # Every invariant holds; nobody is left in a chat or in the queue.
    violations = await no_violations(cluster.pool)
    ids = [person.user.id for person in people]
    assert (
        await cluster.pool.fetchval("SELECT count(*) FROM chat_participants WHERE active AND user_id = ANY($1)", ids)
        == 0
    )
    assert await cluster.pool.fetchval("SELECT count(*) FROM search_queue WHERE user_id = ANY($1)", ids) == 0
    # Adults and minors never met, not even in ended chats.
    mixed = await cluster.pool.fetchval(
        "SELECT count(*) FROM chats c JOIN users a ON a.id = c.user_a JOIN users b ON b.id = c.user_b "
        "WHERE (a.age >= 18) <> (b.age >= 18)"
    )
    assert mixed == 0
    # Each chat was announced to both sides exactly once, lost answers notwithstanding.
    chats = await cluster.pool.fetchval("SELECT count(*) FROM chats") - chats_before
    announced = sum(len(texts(person.user, PARTNER_FOUND)) for person in people)
    assert announced == 2 * chats
    # Every text reached the partner once, or its sender heard they were not in a chat (or still
    # searching for one).
    users = {person.user.id: person.user for person in people}
    copied: Counter[tuple[int, int]] = Counter()
    for receiver in users.values():
        for message in receiver.inbox:
            if message.copied_from is not None and message.copied_from[0] in users:
                copied[message.copied_from] += 1
    assert max(copied.values(), default=1) == 1
    texts_sent = sum(len(person.texts_sent) for person in people)
    unrelayed = {person.user.id: sum((person.user.id, m) not in copied for m in person.texts_sent) for person in people}
    for person in people:
        answered = len(texts(person.user, NOT_IN_CHAT)) + len(texts(person.user, STILL_SEARCHING))
        assert unrelayed[person.user.id] <= answered, person.user
    assert all(worker.process is not None and worker.process.returncode is None for worker in cluster.workers)
    report(
        pytestconfig,
        "3 webhook workers under load",
        users=len(people),
        chats=chats,
        texts_sent=texts_sent,
        texts_relayed=len(copied),
        duplicates_delivered=cluster.router.lost - lost_before,
        duplicate_copies=0,
        announcements=announced,
        adult_minor_chats=mixed,
        violations=violations,
        seconds=round(elapsed, 1),
    )


async def test_a_webhook_worker_killed_under_load_loses_no_message(
    cluster: Cluster, pytestconfig: pytest.Config
) -> None:
    couples = await pairs(cluster.usecases, cluster.user, 5)
    load = Load(couples, per_user=30, gap=0.05)
    loading = await load.flowing(40)

    victim = cluster.workers[1]
    await victim.kill()
    await asyncio.sleep(0.5)
    await start_worker(victim, cluster.urls[1])
    # The restarted worker's setWebhook makes Telegram give up the deliveries in flight at the
    # other workers and post them again, as a lost answer does: a second duplicate window. A
    # copy the victim asked for just before dying may also be stored after it died.
    windows_closed_at = time.perf_counter()
    cluster.emulator.set_webhook_targets([cluster.router.url])  # the restarted worker set its own URL
    await loading
    settled = await eventually(lambda: load.delivery()[1] == 0, "every message delivered")

    duplicated = load.lost_nothing(duplicates_first_copied_before=windows_closed_at)
    # one sender's updates are delivered one at a time: at most one in flight per window
    assert len(duplicated) <= 2 * load.senders
    for first_user, second_user in couples:
        assert copies(second_user, first_user) and copies(first_user, second_user)
    await no_violations(cluster.pool)
    for first_user, _second in couples:
        await cluster.usecases.close_chat(first_user.id)
    report(
        pytestconfig,
        "webhook worker kill -9 under load",
        **load.figures(),
        duplicate_bound=2 * load.senders,
        seconds_to_settle=round(settled, 1),
        violations=0,
    )
