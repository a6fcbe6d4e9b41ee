"""The BFCL v3 oracle server, made wrong on purpose: a real run with realistic failures.

python -m bench.lossy_oracle_server --mode fc --seed 1 [--wrong 0.3]   (prints its base URL)

Each sample (by its X-LLMEval-Sample header and the seed) is either answered with its ground
truth, as `bench/oracle_server.py` does, or spoiled in one of a few ways a model goes wrong: an
argument changed, a call dropped, text instead of calls, an HTTP 500, a refusal; a multi-turn
sample is spoiled at one of its calls, and the conversation then runs off the oracle's book.
Some replies carry reasoning text, and a few a hostile HTML payload, for the viewer to show.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import threading
from typing import Any

from pytest_llmeval.benchmarks.base import SAMPLE_HEADER
from pytest_llmeval.benchmarks.bfcl_v3.benchmark import BfclV3
from tests.bfcl.oracle import oracle_book, request_key
from tests.scripted_server import Reply, ScriptedServer

HOSTILE = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'


def _fraction(*parts: object) -> float:
    digest = hashlib.sha256("/".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _spoil_value(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 7
    if isinstance(value, str):
        return value + "_x" if value else "x"
    if isinstance(value, list):
        return value[:-1] if value else ["x"]
    return "wrong"


def _spoil_arguments(reply: Reply) -> Reply:
    spoiled = copy.deepcopy(reply)
    call = spoiled.tool_calls[0]
    arguments = json.loads(call["arguments"])
    if arguments:
        key = next(iter(arguments))
        arguments[key] = _spoil_value(arguments[key])
    else:
        arguments["unexpected"] = 1
    call["arguments"] = json.dumps(arguments)
    return spoiled


def lossy_handler(book: dict[str, Reply], seed: int, wrong: float):
    calls_seen: dict[str, int] = {}  # multi-turn: tool-call replies given so far per sample

    def handle(request: dict[str, Any]) -> Reply:
        tag = request["__headers__"].get(SAMPLE_HEADER.lower(), "")
        reply = book.get(request_key(tag, request["messages"], request.get("tools")))
        if reply is None:
            return Reply(text="I have done what I could with the functions available.")
        luck = _fraction(seed, tag)
        flavour = _fraction(seed, tag, "how")
        if _fraction(seed, tag, "think") < 0.1:
            reply = copy.deepcopy(reply)
            reply.reasoning = f"The user asks for {tag.split('/')[1]}; pick the matching function."
        if "/multi_turn" in tag:
            if not reply.tool_calls:
                return reply
            seen = calls_seen.get(tag, 0)
            calls_seen[tag] = seen + 1
            spoil_at = int(flavour * 4)
            if luck < wrong * 1.6 and seen == spoil_at:  # multi-turn fails more, as models do
                return _spoil_arguments(reply) if flavour < 0.7 else Reply(text="Done already.")
            return reply
        if luck >= wrong:
            return reply
        if flavour < 0.03:
            return Reply(status=500, error="upstream model crashed")
        if flavour < 0.06:
            return Reply(text="I can't help with that request.", finish_reason="content_filter")
        if flavour < 0.09:
            return Reply(text=f"Here is my answer: {HOSTILE}")
        if not reply.tool_calls:  # irrelevance: the model calls a function anyway
            name = (request.get("tools") or [{"function": {"name": "lookup"}}])[0]["function"]
            return Reply(tool_calls=[{"name": name["name"], "arguments": "{}"}])
        if flavour < 0.3:
            return Reply(text="I would call a function here, but I am not sure which one.")
        if flavour < 0.45 and len(reply.tool_calls) > 1:
            return Reply(tool_calls=reply.tool_calls[:-1])
        if flavour < 0.55:
            spoiled = copy.deepcopy(reply)
            spoiled.tool_calls[0]["name"] += "_v2"
            return spoiled
        return _spoil_arguments(reply)

    return handle


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=["fc"], default="fc")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--wrong", type=float, default=0.3, help="share of spoiled samples")
    args = parser.parse_args()
    book = oracle_book(BfclV3({"llm_bfcl_mode": args.mode}).load(None), args.mode)
    server = ScriptedServer(lossy_handler(book, args.seed, args.wrong)).start()
    print(server.base_url, flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
