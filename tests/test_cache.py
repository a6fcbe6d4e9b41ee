"""The response cache: reruns reuse finished calls, keys ignore the API key, writers coexist."""

from __future__ import annotations

import asyncio
import hashlib
import json
import sqlite3
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path

import pytest

from pytest_llmeval.cache import ResponseCache, request_key
from pytest_llmeval.client import ModelClient
from pytest_llmeval.config import Endpoint
from pytest_llmeval.records import SerializedOnce
from tests.conftest import aime_oracle, aime_problem, last_user_text
from tests.scripted_server import Reply

BODY = {"messages": [{"role": "user", "content": "hi"}], "temperature": 0.7}
CACHE = Path(".llmeval_cache/responses.sqlite3")  # the default, inside the pytester folder


# -- the store ------------------------------------------------------------------------------------
def test_request_key_is_stable_and_covers_every_input():
    key = request_key("http://h/v1/", "m", BODY, "r0")
    assert key == request_key("http://h/v1/", "m", dict(reversed(BODY.items())), "r0")
    assert len(key) == 64
    others = {
        request_key("http://other/v1/", "m", BODY, "r0"),
        request_key("http://h/v1/", "m2", BODY, "r0"),
        request_key("http://h/v1/", "m", {**BODY, "temperature": 0.8}, "r0"),
        request_key("http://h/v1/", "m", BODY, "r1"),
    }
    assert len(others) == 4
    assert key not in others


def _documented_key(base_url: str, model: str, body: dict, salt: str) -> str:
    """The key as the cache has always written it: one canonical JSON text of everything."""
    text = json.dumps(
        {"url": base_url, "model": model, "body": body, "salt": salt},
        sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str,
    )  # fmt: skip
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


TOOLS = [
    {"type": "function", "function": {"name": "ls", "parameters": {"type": "object", "b": 1}}},
    {"function": {"name": "cd", "description": "wechsle \u00fcber \ud83d\ude00 \ud800"}},
]


@pytest.mark.parametrize(
    "body",
    [
        {"messages": [{"role": "user", "content": "hi"}], "tools": TOOLS, "temperature": 0.7},
        {"tools": TOOLS, "messages": [], "seed": 0, "extra": {"z": [1.5, None], "a": Path("x")}},
        {"tools": [], "messages": [{"content": "\u00e9\ud800", "role": "user"}]},
    ],
)
def test_a_value_serialized_once_gives_the_key_the_cache_always_wrote(body):
    documented = _documented_key("http://h/v1/", "m", body, "r3")
    assert request_key("http://h/v1/", "m", body, "r3") == documented
    once = SerializedOnce(body["tools"])
    with_once = {**body, "tools": once}
    assert request_key("http://h/v1/", "m", with_once, "r3") == documented
    assert request_key("http://h/v1/", "m", with_once, "r3") == documented  # from its text
    once.canonical = '["changed"]'  # the text written once is what the next key reads
    assert request_key("http://h/v1/", "m", with_once, "r3") != documented


def test_store_round_trips_and_persists(tmp_path):
    path = tmp_path / "deep" / "cache.sqlite3"
    cache = ResponseCache(path)
    cache.put("k", {"text": "42", "usage": {"prompt_tokens": 1}})
    cache.put("k", {"text": "43"})  # a rewrite replaces
    assert (cache.get("k"), cache.get("missing"), len(cache)) == ({"text": "43"}, None, 1)
    cache.close()
    reopened = ResponseCache(path)
    assert reopened.get("k") == {"text": "43"}
    reopened.close()


def test_client_answers_a_repeated_request_from_the_cache(serve, tmp_path):
    server = serve(lambda request: Reply(text="42", reasoning="because", usage=(9, 4)))
    cache = ResponseCache(tmp_path / "c.sqlite3")

    async def twice(salt_two: str) -> list:
        client = ModelClient(
            Endpoint("m", server.base_url, "sk-secret-123"), timeout=5, retries=0, cache=cache
        )
        try:
            messages = BODY["messages"]
            return [await client.chat(messages), await client.chat(messages, salt=salt_two)]
        finally:
            await client.aclose()

    first, second = asyncio.run(twice(""))
    assert len(server.requests) == 1
    assert (first.cached, second.cached) == (False, True)
    assert (second.text, second.reasoning, second.usage) == ("42", "because", first.usage)
    asyncio.run(twice("r1"))  # another salt (repeat) is another call
    assert len(server.requests) == 2
    assert b"sk-secret-123" not in (tmp_path / "c.sqlite3").read_bytes()
    cache.close()


def test_a_served_model_on_a_new_port_answers_from_the_cache(serve, tmp_path):
    """--llm-serve gives the model a new port every run: the cache keys on its file instead."""
    first, second = serve(lambda r: Reply(text="1")), serve(lambda r: Reply(text="2"))
    cache = ResponseCache(tmp_path / "c.sqlite3")

    async def ask(base_url: str) -> str:
        endpoint = Endpoint("m", base_url, scope="llama-server/model.gguf")
        client = ModelClient(endpoint, timeout=5, retries=0, cache=cache)
        try:
            return (await client.chat(BODY["messages"])).text
        finally:
            await client.aclose()

    assert asyncio.run(ask(first.base_url)) == "1"
    assert asyncio.run(ask(second.base_url)) == "1"  # from the cache
    assert (len(first.requests), len(second.requests)) == (1, 0)
    cache.close()


WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from pytest_llmeval.cache import ResponseCache

    name = sys.argv[2]
    sys.stdout.write("ready\\n")
    sys.stdout.flush()
    sys.stdin.readline()  # both writers create the file and write at once
    cache = ResponseCache(Path(sys.argv[1]))
    for i in range(400):
        cache.put(f"own-{name}-{i}", {"writer": name, "i": i, "text": "x" * 200})
        cache.put(f"shared-{i % 50}", {"writer": name, "i": i})
        assert cache.get(f"own-{name}-{i}")["i"] == i
    cache.close()
    """
)


def test_two_processes_writing_at_once_do_not_corrupt(tmp_path):
    path = tmp_path / "shared.sqlite3"
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), name],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for name in ("a", "b")
    ]
    for writer in writers:
        assert writer.stdout.readline() == "ready\n"
    for writer in writers:
        writer.stdin.write("go\n")
        writer.stdin.flush()
    assert [writer.wait(timeout=120) for writer in writers] == [0, 0]
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    cache = ResponseCache(path)
    assert len(cache) == 2 * 400 + 50
    for name in ("a", "b"):
        assert [cache.get(f"own-{name}-{i}")["i"] for i in range(400)] == list(range(400))
    assert {cache.get(f"shared-{i}")["writer"] for i in range(50)} <= {"a", "b"}
    cache.close()


# -- through the plugin ---------------------------------------------------------------------------
def test_a_rerun_reuses_every_finished_call(serve, llmeval):
    server = serve(aime_oracle)
    first = llmeval(server.base_url)
    assert first.ret == 0
    assert len(server.requests) == 30
    second = llmeval(server.base_url)
    assert second.ret == 0
    assert len(server.requests) == 30  # nothing new
    assert all(record["cached"] for record in second.samples())
    assert not any(record["cached"] for record in first.samples())
    assert second.rows() == first.rows()
    assert second.report()["meta"]["usage"]["aime25"]["cached_samples"] == 30
    assert "30 samples (0 errors, 30 from cache)" in second.text


def test_a_larger_limit_only_asks_the_new_samples(serve, llmeval):
    server = serve(aime_oracle)
    assert llmeval(server.base_url, "--llm-limit=3").ret == 0
    assert sorted(aime_problem(r)[:2] for r in server.requests) == [
        (subset, i) for subset in ("AIME2025-I", "AIME2025-II") for i in range(3)
    ]
    run = llmeval(server.base_url, "--llm-limit=5")
    assert run.ret == 0
    assert sorted(aime_problem(r)[:2] for r in server.requests[6:]) == [
        (subset, i) for subset in ("AIME2025-I", "AIME2025-II") for i in (3, 4)
    ]
    assert sum(record["cached"] for record in run.samples()) == 6
    smaller = llmeval(server.base_url, "--llm-limit=2")
    assert (smaller.ret, len(server.requests)) == (0, 10)
    assert [row[2] for row in smaller.rows()] == [2, 2, 4]


def test_each_repeat_is_its_own_call_and_is_cached_on_its_own(serve, llmeval):
    server = serve(aime_oracle)
    assert llmeval(server.base_url, "--llm-repeats=3", "--llm-limit=2").ret == 0
    asked = Counter(last_user_text(request) for request in server.requests)
    assert len(asked) == 4
    assert set(asked.values()) == {3}
    assert llmeval(server.base_url, "--llm-repeats=2", "--llm-limit=2").ret == 0
    assert len(server.requests) == 12  # repeats 0 and 1 were cached
    assert llmeval(server.base_url, "--llm-repeats=4", "--llm-limit=2").ret == 0
    assert len(server.requests) == 16  # only repeat 3 is new


def test_no_cache_neither_reads_nor_writes(serve, llmeval, pytester):
    server = serve(aime_oracle)
    for _ in range(2):
        assert llmeval(server.base_url, "--llm-no-cache", "--llm-limit=2").ret == 0
    assert len(server.requests) == 8
    assert not (pytester.path / CACHE).exists()
    assert llmeval(server.base_url, "--llm-limit=2").ret == 0
    assert len(server.requests) == 12
    assert llmeval(server.base_url, "--llm-no-cache", "--llm-limit=2").ret == 0
    assert len(server.requests) == 16  # a filled cache is not read either


def test_cache_path_option(serve, llmeval, pytester):
    server = serve(aime_oracle)
    assert llmeval(server.base_url, "--llm-cache=elsewhere/c.db", "--llm-limit=1").ret == 0
    assert len(ResponseCache(pytester.path / "elsewhere" / "c.db")) == 2
    assert not (pytester.path / CACHE).exists()


def test_the_api_key_is_neither_in_the_key_nor_in_the_stored_value(serve, llmeval, pytester):
    server = serve(aime_oracle)
    key_one, key_two = "sk-first-key-0123456789", "sk-second-key-9876543210"
    assert llmeval(server.base_url, f"--llm-api-key={key_one}", "--llm-limit=2").ret == 0
    assert llmeval(server.base_url, f"--llm-api-key={key_two}", "--llm-limit=2").ret == 0
    assert len(server.requests) == 4  # another key, the same calls
    stored = b"".join(path.read_bytes() for path in (pytester.path / CACHE.parent).iterdir())
    assert b"Let me think" in stored
    assert key_one.encode() not in stored
    assert key_two.encode() not in stored
