"""The ceiling of the harness cells: N chat completions through a bare aiohttp loop (the HTTP
library the client uses), `concurrency` at a time, against the same scripted server, with no
pytest and no harness. Prints its wall time in seconds, start-up excluded.

    python bench/bare_client.py URL N CONCURRENCY
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

import aiohttp


async def run(url: str, n: int, concurrency: int) -> float:
    slots = asyncio.Semaphore(concurrency)
    body = json.dumps({"model": "bench", "messages": [{"role": "user", "content": "ok?"}]})
    headers = {"Content-Type": "application/json"}
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one() -> None:
            async with (
                slots,
                session.post(f"{url}/chat/completions", data=body, headers=headers) as r,
            ):
                json.loads(await r.read())

        started = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(n)))
        return time.perf_counter() - started


if __name__ == "__main__":
    url, n, concurrency = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    print(f"{asyncio.run(run(url, n, concurrency)):.3f}")
