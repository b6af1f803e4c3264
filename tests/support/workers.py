"""OS processes that start the same work at the same instant, for the cross-process race tests."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


async def run_at_once(module: str, arguments: Sequence[Sequence[str]], *, timeout: float = 60) -> list[Any]:
    """Start `python -m module *args` once per argument list; when every one has printed `ready`,
    let them all go at once (a line on stdin); each must exit 0. The JSON each one printed last."""
    workers = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            module,
            *args,
            cwd=ROOT,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        for args in arguments
    ]
    try:
        for worker in workers:
            assert worker.stdout is not None
            assert (await asyncio.wait_for(worker.stdout.readline(), 30)).strip() == b"ready"
        outputs = await asyncio.wait_for(asyncio.gather(*(worker.communicate(b"go\n") for worker in workers)), timeout)
    finally:
        for worker in workers:
            if worker.returncode is None:
                worker.kill()
                await worker.wait()
    assert [worker.returncode for worker in workers] == [0] * len(workers)
    return [json.loads(stdout) for stdout, _ in outputs]
