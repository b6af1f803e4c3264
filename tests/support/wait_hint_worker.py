"""One OS process claiming wait hints over many connections at once, for the cross-process test.

    python -m tests.support.wait_hint_worker DATABASE_URL

Prints `ready` once connected, waits for a line on stdin (so that several processes start at the
same instant), then runs eight claims at once until nothing is left to claim, and prints the
ids of the users it was given a hint for, as JSON.
"""

from __future__ import annotations

import asyncio
import json
import sys

from roulette.storage.pool import create_pool
from roulette.storage.uow import Database
from roulette.usecases.search import ClaimWaitHints

CONNECTIONS = 8


async def claim_everything(database_url: str) -> list[int]:
    pool = await create_pool(database_url, min_size=CONNECTIONS, max_size=CONNECTIONS)
    try:
        claim = ClaimWaitHints(Database(pool), after_seconds=60)
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)

        async def claim_until_none_left() -> list[int]:
            hinted: list[int] = []
            while (sweep := await claim()).claimed:
                hinted.extend(hint.user.id for hint in sweep.hints)
            return hinted

        batches = await asyncio.gather(*(claim_until_none_left() for _ in range(CONNECTIONS)))
    finally:
        await pool.close()
    return [user_id for batch in batches for user_id in batch]


def main() -> None:
    print(json.dumps(asyncio.run(claim_everything(sys.argv[1]))), flush=True)


if __name__ == "__main__":
    main()
