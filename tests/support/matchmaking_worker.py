"""One OS process searching for many users at once, for the cross-process matchmaking test.

    python -m tests.support.matchmaking_worker DATABASE_URL '[1, 2, 3]'

Prints `ready` once connected, waits for a line on stdin (so that several processes start
searching at the same instant), then searches for every user concurrently and prints how many
searches ended in each result, as JSON.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections import Counter

from roulette.storage.pool import create_pool
from roulette.storage.uow import Database
from roulette.usecases.search import SearchOutcome
from roulette.usecases.search import StartSearch

POOL_SIZE = 8


async def search_for_everyone(database_url: str, user_ids: list[int]) -> Counter[str]:
    pool = await create_pool(database_url, min_size=POOL_SIZE, max_size=POOL_SIZE)
    try:
        start_search = StartSearch(Database(pool))
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
        results = await asyncio.gather(*(start_search(user_id) for user_id in user_ids))
    finally:
        await pool.close()
    return Counter(result.name if isinstance(result, SearchOutcome) else type(result).__name__ for result in results)


def main() -> None:
    database_url, user_ids = sys.argv[1], json.loads(sys.argv[2])
    print(json.dumps(asyncio.run(search_for_everyone(database_url, user_ids))), flush=True)


if __name__ == "__main__":
    main()
