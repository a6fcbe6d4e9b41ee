"""A scripted server whose every answer is random (seeded): text of random code points (lone
surrogates included), tool calls with random JSON or non-JSON arguments, random shapes and
sizes, stray finish reasons, HTTP errors, malformed bodies, cut streams.

python -m bench.fuzz_server --seed 0   (prints its base URL, then serves)
"""

from __future__ import annotations

import argparse
import json
import random
import threading
from typing import Any

from tests.scripted_server import Reply, ScriptedServer

NAMES = ["cd", "ls", "power", "logarithm", "square_root", "echo", "get_weather", "x" * 300, ""]


def random_text(rng: random.Random) -> str:
    size = rng.choice([0, 1, 10, 200, 5_000, 100_000])
    kind = rng.random()
    if kind < 0.3:
        return "".join(chr(rng.randrange(0, 0x110000)) for _ in range(size))
    if kind < 0.6:
        return rng.randbytes(size).decode("latin-1")
    return "So \\boxed{" + "{" * rng.randrange(0, 50) + str(rng.randrange(1000)) + "}"


def random_json(rng: random.Random, depth: int = 0) -> Any:
    pick = rng.random()
    if depth > 6 or pick < 0.3:
        return rng.choice([None, True, 3, -1e308, 2**70, "s", random_text(rng)[:50], 1.5])
    if pick < 0.65:
        return [random_json(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {random_text(rng)[:8]: random_json(rng, depth + 1) for _ in range(rng.randrange(4))}


def random_arguments(rng: random.Random) -> str:
    pick = rng.random()
    if pick < 0.2:
        return random_text(rng)[:500]
    if pick < 0.3:
        return "[" * 10_000
    if pick < 0.4:
        return json.dumps({"exponent": 2_000_000_000, "base": 3, "precision": 999_999_999})
    return json.dumps(random_json(rng))


def fuzz_handler(seed: int):
    rng = random.Random(seed)
    lock = threading.Lock()

    def handler(request: dict) -> Reply:
        with lock:
            roll = rng.random()
            if roll < 0.05:
                return Reply(status=rng.choice([400, 401, 404, 422, 429, 500, 503]), error="fuzz")
            if roll < 0.08:
                return Reply(raw_body=rng.randbytes(rng.randrange(64)))
            if roll < 0.10:
                return Reply(text="cut", stream_cut=True)
            calls = [
                {"name": rng.choice(NAMES), "arguments": random_arguments(rng)}
                for _ in range(rng.choice([0, 0, 1, 2, 5]))
            ]
            return Reply(
                text=random_text(rng) if rng.random() < 0.8 else None,
                tool_calls=calls,
                reasoning=random_text(rng)[:200] if rng.random() < 0.2 else None,
                finish_reason=rng.choice([None, "stop", "length", "tool_calls", "weird"]),
            )

    return handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    server = ScriptedServer(fuzz_handler(args.seed)).start()
    print(server.base_url, flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
