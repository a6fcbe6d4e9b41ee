"""The OpenAI-compatible client against the scripted server: retries, timeouts, streaming."""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
from collections.abc import Callable
from typing import Any

import openai
import pytest

from pytest_llmeval.client import ModelClient, ServiceError, backoff_delay, split_reasoning
from pytest_llmeval.config import Endpoint
from pytest_llmeval.records import Response, ToolCall, Usage
from tests.scripted_server import Reply, ScriptedServer

QUESTION = [{"role": "user", "content": "What is 6 * 7?"}]
RETRY_NOW = {"Retry-After": "0"}


def call(
    server: ScriptedServer,
    *,
    stream: bool = False,
    retries: int = 2,
    timeout: float = 10.0,
    api_key: str | None = "sk-test",
    generation: dict[str, Any] | None = None,
    tools: list[dict[str, Any]] | None = None,
) -> Response:
    """One chat call through a fresh ModelClient; ServiceError propagates."""
    client = ModelClient(
        Endpoint("scripted", server.base_url, api_key, generation or {}),
        timeout=timeout,
        retries=retries,
        stream=stream,
    )

    async def go() -> Response:
        try:
            return await client.chat(QUESTION, tools)
        finally:
            await client.aclose()

    return asyncio.run(go())


def failing_first(times: int, failure: Reply, then: Reply | None = None) -> Callable[[dict], Reply]:
    """`failure` for the first `times` requests, then `then` (a plain answer by default)."""
    seen = []

    def handler(request: dict) -> Reply:
        seen.append(request)
        return failure if len(seen) <= times else (then or Reply(text="42"))

    return handler


# -- retries --------------------------------------------------------------------------------------
@pytest.mark.parametrize("status", [429, 500, 503])
def test_retryable_status_is_retried_until_it_succeeds(serve, status):
    server = serve(failing_first(2, Reply(status=status, error="busy", headers=RETRY_NOW)))
    response = call(server, retries=2)
    assert (response.text, response.attempts) == ("42", 3)
    assert len(server.requests) == 3


@pytest.mark.parametrize("status", [429, 503])
def test_retryable_status_gives_up_after_the_retries(serve, status):
    server = serve(lambda request: Reply(status=status, error="overloaded", headers=RETRY_NOW))
    with pytest.raises(ServiceError) as raised:
        call(server, retries=2)
    assert str(raised.value) == f"HTTP {status}: overloaded"
    assert (raised.value.status, raised.value.attempts) == (status, 3)
    assert len(server.requests) == 3


@pytest.mark.parametrize("status", [400, 401, 404])
def test_client_errors_are_not_retried(serve, status):
    server = serve(lambda request: Reply(status=status, error="your mistake"))
    with pytest.raises(ServiceError) as raised:
        call(server, retries=5)
    assert str(raised.value) == f"HTTP {status}: your mistake"
    assert (raised.value.status, raised.value.attempts) == (status, 1)
    assert len(server.requests) == 1


def test_zero_retries_means_one_request(serve):
    server = serve(lambda request: Reply(status=500, error="boom"))
    with pytest.raises(ServiceError):
        call(server, retries=0)
    assert len(server.requests) == 1


def _status_error(server: ScriptedServer) -> openai.APIStatusError:
    """The exception the openai client raises for the server's current reply."""

    async def go() -> openai.APIStatusError:
        client = openai.AsyncOpenAI(api_key="k", base_url=server.base_url, max_retries=0)
        try:
            await client.chat.completions.create(model="m", messages=QUESTION)
        except openai.APIStatusError as error:
            return error
        finally:
            await client.close()
        raise AssertionError("the server did not fail")

    return asyncio.run(go())


@pytest.mark.parametrize(
    ("header", "expected"), [("0", 0.0), ("0.25", 0.25), ("3", 3.0), ("100000", 120.0)]
)
def test_backoff_honours_retry_after_capped(serve, header, expected):
    server = serve(lambda request: Reply(status=429, error="slow", headers={"Retry-After": header}))
    error = _status_error(server)
    assert [backoff_delay(attempt, error) for attempt in (1, 4)] == [expected, expected]


def test_backoff_prefers_retry_after_ms(serve):
    headers = {"retry-after-ms": "250", "Retry-After": "7"}
    server = serve(lambda request: Reply(status=429, error="slow", headers=headers))
    assert backoff_delay(1, _status_error(server)) == 0.25


def test_backoff_reads_an_http_date_retry_after(serve):
    when = email.utils.format_datetime(
        dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30), usegmt=True
    )
    server = serve(lambda request: Reply(status=429, error="slow", headers={"Retry-After": when}))
    assert 25.0 <= backoff_delay(1, _status_error(server)) <= 30.0


def test_backoff_without_retry_after_is_bounded_exponential_jitter(serve):
    server = serve(lambda request: Reply(status=503, error="busy"))
    error = _status_error(server)
    for attempt, ceiling in [(1, 0.5), (2, 1.0), (3, 2.0), (10, 30.0)]:
        delays = [backoff_delay(attempt, error) for _ in range(50)]
        assert all(0.0 <= delay <= ceiling for delay in delays)
    assert backoff_delay(1, error, base=0.0) == 0.0


def test_unparseable_retry_after_falls_back_to_jitter(serve):
    server = serve(lambda request: Reply(status=429, error="x", headers={"Retry-After": "soon"}))
    error = _status_error(server)
    assert all(0.0 <= backoff_delay(1, error) <= 0.5 for _ in range(20))


# -- timeouts, dropped connections, malformed bodies ----------------------------------------------
def test_timeout_is_retried_then_reported(serve):
    server = serve(lambda request: Reply(text="late", delay=1.0))
    with pytest.raises(ServiceError) as raised:
        call(server, retries=1, timeout=0.1)
    assert str(raised.value) == "request timed out"
    assert (raised.value.status, raised.value.attempts) == (None, 2)
    assert len(server.requests) == 2


def test_timeout_then_a_prompt_answer_succeeds(serve):
    server = serve(failing_first(1, Reply(text="late", delay=1.0)))
    response = call(server, retries=1, timeout=0.2)
    assert (response.text, response.attempts) == ("42", 2)


def test_dropped_connection_is_retried(serve):
    server = serve(failing_first(1, Reply(drop=True)))
    response = call(server, retries=1)
    assert (response.text, response.attempts) == ("42", 2)
    assert len(server.requests) == 2


def test_connection_dropped_every_time_is_a_service_error(serve):
    server = serve(lambda request: Reply(drop=True))
    with pytest.raises(ServiceError) as raised:
        call(server, retries=1)
    assert str(raised.value).startswith("connection failed: ")
    assert raised.value.attempts == 2
    assert len(server.requests) == 2


def test_nothing_listening_is_a_connection_error(unused_port):
    with pytest.raises(ServiceError) as raised:
        call(ScriptedServer(lambda r: Reply(), port=unused_port), retries=0)
    assert str(raised.value).startswith("connection failed: ")


@pytest.mark.parametrize(
    ("body", "stream", "message"),
    [
        (b"{not json", False, "malformed response: Expecting property name enclosed in double"),
        (b'{"id": "x", "object": "chat.completion"}', False, "malformed response: no choices"),
        (b"{not json", True, "malformed response: stream had no choices"),
        (b'{"error": "nope"}', True, "malformed response: stream had no choices"),
    ],
    ids=["not-json", "no-choices", "stream-not-json", "stream-json-not-events"],
)
def test_malformed_body_is_retried_then_reported(serve, body, stream, message):
    server = serve(lambda request: Reply(raw_body=body, headers=RETRY_NOW))
    with pytest.raises(ServiceError) as raised:
        call(server, retries=1, stream=stream)
    assert str(raised.value).startswith(message)
    assert raised.value.attempts == 2
    assert len(server.requests) == 2


def test_malformed_body_once_then_a_good_answer(serve):
    server = serve(failing_first(1, Reply(raw_body=b"<html>502</html>", headers=RETRY_NOW)))
    response = call(server, retries=1)
    assert (response.text, response.attempts) == ("42", 2)


# -- answers: text, reasoning, tool calls, usage --------------------------------------------------
def test_usage_latency_and_attempts_are_recorded(serve):
    server = serve(lambda request: Reply(text="42", usage=(123, 45)))
    response = call(server)
    assert (response.text, response.reasoning, response.finish_reason) == ("42", "", "stop")
    assert response.usage == Usage(123, 45, 1)
    assert response.latency_s > 0
    assert (response.attempts, response.cached) == (1, False)


def test_reasoning_content_field_is_kept_apart(serve):
    server = serve(lambda request: Reply(text="\\boxed{42}", reasoning="6 sevens are 42"))
    response = call(server)
    assert (response.text, response.reasoning) == ("\\boxed{42}", "6 sevens are 42")


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
def test_think_block_in_the_text_is_reasoning(serve, stream):
    server = serve(lambda request: Reply(text="<think>\n6*7 is 42\n</think>\n\nIt is 42."))
    response = call(server, stream=stream)
    assert (response.text, response.reasoning) == ("It is 42.", "6*7 is 42")


@pytest.mark.parametrize(
    ("text", "reasoning", "expected"),
    [
        ("plain answer", "", ("plain answer", "")),
        ("<think>a</think>b", "", ("b", "a")),
        ("  <think>a\nb</think>\n c", "r ", ("c", "r a\nb")),
        ("half a thought</think>answer", "", ("answer", "half a thought")),
        ("answer mentions <think> later", "", ("answer mentions <think> later", "")),
    ],
)
def test_split_reasoning(text, reasoning, expected):
    assert split_reasoning(text, reasoning) == expected


def test_streaming_reassembles_text_reasoning_tool_calls_and_usage(serve):
    reply = Reply(
        text="Calling both.",
        reasoning="need weather and time",
        tool_calls=[
            {"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}},
            {"name": "get_time", "arguments": '{"zone": "Europe/Paris"}'},
        ],
        usage=(31, 17),
    )
    server = serve(lambda request: reply)
    response = call(server, stream=True)
    assert response.text == "Calling both."
    assert response.reasoning == "need weather and time"
    assert response.tool_calls == [
        ToolCall("get_weather", '{"city": "Paris", "unit": "celsius"}', "call_0"),
        ToolCall("get_time", '{"zone": "Europe/Paris"}', "call_1"),
    ]
    assert (response.finish_reason, response.usage) == ("tool_calls", Usage(31, 17, 1))
    (request,) = server.requests
    assert request["stream"] is True
    assert request["stream_options"] == {"include_usage": True}


def test_tool_calls_without_streaming(serve):
    tools = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]
    server = serve(lambda request: Reply(text=None, tool_calls=[{"name": "f", "arguments": {}}]))
    response = call(server, tools=tools, generation={"parallel_tool_calls": True})
    assert response.tool_calls == [ToolCall("f", "{}", "call_0")]
    assert (response.text, response.finish_reason) == ("", "tool_calls")
    assert server.requests[0]["tools"] == tools
    assert server.requests[0]["parallel_tool_calls"] is True


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
@pytest.mark.parametrize(
    ("text", "tool_calls", "kept"),
    [
        (None, None, {"text": None, "tool_calls": None}),
        ("", None, {"text": "", "tool_calls": None}),
        (None, [], {"text": None, "tool_calls": []}),
        ("hi", [], {"text": "hi", "tool_calls": []}),
        (None, [{"name": "f", "arguments": "{}"}], {"text": None, "tool_calls": [
            {"name": "f", "arguments": "{}", "id": "call_0"}]}),
    ],
    ids=["null-no-list", "empty-no-list", "null-empty-list", "text-empty-list", "null-one-call"],
)  # fmt: skip
def test_the_reply_keeps_null_content_and_an_empty_tool_call_list_apart(
    serve, stream, text, tool_calls, kept
):
    """What the model sent survives: null is not "", an empty list is not no list."""
    server = serve(
        lambda request: Reply(
            text=text, tool_calls=tool_calls or [], empty_tool_calls=tool_calls == []
        )
    )
    response = call(server, stream=stream)
    reply = response.reply()
    assert {"text": reply["text"], "tool_calls": reply["tool_calls"]} == kept
    assert response.text == (text or "")  # scorers still read a string


def test_generation_settings_travel_in_the_body(serve):
    server = serve(lambda request: Reply(text="42"))
    generation = {
        "temperature": 0.7,
        "top_p": 0.8,
        "top_k": 20,
        "repetition_penalty": 1.05,
        "max_tokens": 65536,
        "parallel_tool_calls": True,
    }
    call(server, generation=generation)
    (request,) = server.requests
    assert request == {
        "model": "scripted",
        "messages": QUESTION,
        "temperature": 0.7,
        "top_p": 0.8,
        "top_k": 20,
        "repetition_penalty": 1.05,
        "max_tokens": 65536,
    }  # parallel_tool_calls only goes with tools


# -- refusals and keys ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "message",
    [
        "data_inspection_failed: Input data may contain inappropriate content.",
        "The response was filtered due to content_filter",
    ],
)
def test_refusal_is_an_answer_tagged_content_filter(serve, message):
    server = serve(lambda request: Reply(status=400, error=message))
    response = call(server, retries=3)
    assert (response.text, response.finish_reason) == ("", "content_filter")
    assert (response.attempts, response.usage.calls) == (1, 1)
    assert len(server.requests) == 1


def test_the_api_key_is_sent_as_a_bearer_token(serve):
    server = serve(lambda request: Reply(text="42"), api_key="sk-right")
    assert call(server, api_key="sk-right").text == "42"
    with pytest.raises(ServiceError) as raised:
        call(server, api_key="sk-wrong", retries=3)
    assert raised.value.status == 401
    assert raised.value.attempts == 1
