"""Calls to an OpenAI-compatible chat endpoint: retries, timeouts, streaming, usage, cache.

The client knows nothing of benchmarks: it sends messages (and tools) and returns a Response
with the answer text kept apart from any reasoning text. Failures that a retry can cure (429,
5xx, timeouts, dropped connections, malformed bodies) are retried with exponential backoff and
full jitter, honouring ``Retry-After``; other 4xx errors are the caller's mistake and are raised
at once as ServiceError.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import email.utils
import random
import re
import time
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

import openai
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from .cache import ResponseCache, request_key
from .config import Endpoint
from .errors import ServiceError
from .records import Response, ToolCall, Usage

if TYPE_CHECKING:
    from .endpoints import Router

RETRYABLE_STATUS = {408, 409, 429}
REFUSAL_MARKERS = ("data_inspection_failed", "content_filter", "content management policy")
THINK_BLOCK = re.compile(r"^\s*<think>(.*?)</think>\s*", re.DOTALL)
MAX_BACKOFF_S = 30.0


def split_reasoning(text: str, reasoning: str = "") -> tuple[str, str]:
    """Keep a leading ``<think>…</think>`` block (or a dangling ``…</think>``) out of the answer."""
    match = THINK_BLOCK.match(text)
    if match:
        return text[match.end() :], (reasoning + match.group(1)).strip()
    if "</think>" in text and "<think>" not in text:
        head, _, tail = text.rpartition("</think>")
        return tail.lstrip(), (reasoning + head).strip()
    return text, reasoning


def _retry_after(error: Exception) -> float | None:
    """Seconds from `retry-after-ms` (OpenAI's) or `retry-after` (seconds or an HTTP date)."""
    response = getattr(error, "response", None)
    if response is None:
        return None
    headers = response.headers
    try:
        if headers.get("retry-after-ms"):
            return min(float(headers["retry-after-ms"]) / 1000, 120.0)
        header = headers.get("retry-after")
        if not header:
            return None
        if header.strip().replace(".", "", 1).isdigit():
            return min(float(header), 120.0)
        when = email.utils.parsedate_to_datetime(header)
        return min(max((when - dt.datetime.now(dt.UTC)).total_seconds(), 0.0), 120.0)
    except (ValueError, TypeError):
        return None


def backoff_delay(attempt: int, error: Exception, base: float = 0.5) -> float:
    """Retry-After if the server gave one, else full-jitter exponential backoff."""
    hinted = _retry_after(error)
    if hinted is not None:
        return hinted
    return random.uniform(0, min(MAX_BACKOFF_S, base * 2 ** (attempt - 1)))


def _describe(error: Exception) -> tuple[str, int | None]:
    status = getattr(error, "status_code", None)
    if isinstance(error, openai.APIStatusError):
        body = error.body
        detail = body.get("message", body) if isinstance(body, dict) else body
        detail = detail or error.message
        return f"HTTP {status}: {str(detail).splitlines()[0][:300]}", status
    root = _root_cause(error)
    if isinstance(error, openai.APITimeoutError) and _is_timeout(root):
        return "request timed out", None
    if isinstance(error, openai.APIConnectionError):
        return f"connection failed: {root if root is not error else error}", None
    if isinstance(error, ValueError):  # a body that is not JSON, or JSON that is no completion
        detail = str(error).splitlines()[0][:300] if str(error) else type(error).__name__
        return f"malformed response: {detail.removeprefix('malformed response: ')}", None
    return (
        f"{type(error).__name__}: {str(error).splitlines()[0][:300] if str(error) else ''}",
        status,
    )


def _root_cause(error: BaseException) -> BaseException:
    while error.__cause__ is not None:
        error = error.__cause__
    return error


def _is_timeout(error: BaseException) -> bool:
    """A real timeout, not a dropped connection that the aiohttp adapter labels ConnectTimeout."""
    name = type(error).__name__
    return isinstance(error, (TimeoutError, asyncio.TimeoutError)) or "Timeout" in name


def _is_retryable(error: Exception) -> bool:
    if isinstance(error, openai.APIStatusError):
        return error.status_code in RETRYABLE_STATUS or error.status_code >= 500
    return True  # timeouts, connection errors, malformed bodies


def _is_refusal(error: Exception) -> bool:
    return isinstance(error, openai.BadRequestError) and any(
        marker in str(error.body or error.message).lower() for marker in REFUSAL_MARKERS
    )


class ModelClient:
    """One endpoint (model under test or judge), shared by every sample of a process."""

    def __init__(
        self,
        endpoint: Endpoint,
        *,
        timeout: float,
        retries: int,
        stream: bool = False,
        cache: ResponseCache | None = None,
        router: Router | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.router = router
        """Picks the client of each attempt (endpoints.py): replicas, adaptive limits, rate."""
        self.retries = retries
        self.stream = stream
        self.cache = cache
        self._openai = openai.AsyncOpenAI(
            api_key=endpoint.api_key or "EMPTY",
            base_url=endpoint.base_url,
            timeout=timeout,
            max_retries=0,  # retries are ours: counted, jittered and reported
            http_client=_http_client(timeout),
        )

    def request_body(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None, overrides: dict
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"messages": messages, **self.endpoint.generation, **overrides}
        if tools:
            body["tools"] = tools
        else:
            body.pop("parallel_tool_calls", None)  # servers reject it without tools
        return body

    async def chat(
        self,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]] | None = None,
        *,
        salt: str = "",
        headers: dict[str, str] | None = None,
        **overrides: Any,
    ) -> Response:
        """One chat completion, from the cache when this exact request was answered before."""
        body = self.request_body(messages, tools, overrides)
        if self.cache is None:
            return await self._with_retries(body, headers)
        key = request_key(self.endpoint.cache_scope, self.endpoint.model or "", body, salt)
        stored = self.cache.get(key)
        if stored is not None:
            return _from_stored(stored)
        response = await self._with_retries(body, headers)
        self.cache.put(key, asdict(response))
        return response

    async def _with_retries(
        self, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> Response:
        options: Any = {"headers": headers} if headers else {}
        route = self.router.route() if self.router is not None else None
        attempt = 0
        while True:
            attempt += 1
            try:
                async with route.lane() if route else contextlib.nullcontext(self) as client:
                    started = time.perf_counter()  # the call, not the wait for a lane
                    response = await client._send(body, options)
            except Exception as error:
                if _is_refusal(error):  # an answer (the service's), not a failure
                    return Response(
                        finish_reason="content_filter",
                        usage=Usage(calls=1),
                        latency_s=time.perf_counter() - started,
                        attempts=attempt,
                    )
                if not isinstance(error, (openai.OpenAIError, ValueError)):
                    raise
                message, status = _describe(error)
                if not _is_retryable(error) or attempt > self.retries:
                    raise ServiceError(message, status=status, attempts=attempt) from None
                await asyncio.sleep(backoff_delay(attempt, error))
                continue
            response.latency_s = time.perf_counter() - started
            response.attempts = attempt
            return response

    async def _send(self, body: dict[str, Any], options: Any) -> Response:
        """POST the body as built: the SDK's typed-parameter transform costs more per call
        than the whole rest of the harness, and our body is already plain JSON."""
        payload = {"model": self.endpoint.model or "", **body}
        if not self.stream:
            completion = await self._openai.post(
                "/chat/completions", body=payload, cast_to=ChatCompletion, options=options
            )
            return _from_completion(completion)
        payload |= {"stream": True, "stream_options": {"include_usage": True}}
        stream = await self._openai.post(
            "/chat/completions",
            body=payload,
            cast_to=ChatCompletion,
            options=options,
            stream=True,
            stream_cls=openai.AsyncStream[ChatCompletionChunk],
        )
        return await _from_stream(stream)

    async def aclose(self) -> None:
        await self._openai.close()


def _http_client(timeout: float) -> Any:
    """aiohttp under the SDK when installed (a third less CPU per call than httpx), else
    the SDK's default."""
    try:
        import aiohttp  # noqa: F401
    except ImportError:
        return None
    if not hasattr(openai, "DefaultAioHttpClient"):  # openai < 1.9x
        return None
    limits = type(openai.DEFAULT_CONNECTION_LIMITS)(
        max_connections=1000,
        max_keepalive_connections=1000,  # reuse, never reconnect
    )
    return openai.DefaultAioHttpClient(timeout=timeout, limits=limits)


def _reasoning_of(message: Any) -> str:
    return getattr(message, "reasoning_content", None) or getattr(message, "reasoning", None) or ""


def _usage_of(usage: Any) -> Usage:
    if usage is None:
        return Usage(calls=1)
    return Usage(usage.prompt_tokens or 0, usage.completion_tokens or 0, 1)


def _from_completion(completion: Any) -> Response:
    if not getattr(completion, "choices", None):
        raise ValueError("malformed response: no choices")
    choice = completion.choices[0]
    message = choice.message
    text, reasoning = split_reasoning(message.content or "", _reasoning_of(message))
    calls = [
        ToolCall(call.function.name, call.function.arguments or "", call.id or "")
        for call in (message.tool_calls or [])
        if getattr(call, "function", None) is not None
    ]
    return Response(
        text,
        reasoning,
        calls,
        choice.finish_reason,
        _usage_of(completion.usage),
        null_content=message.content is None,
        listed_tool_calls=message.tool_calls is not None,
    )


async def _from_stream(stream: Any) -> Response:
    text, reasoning, finish, usage = [], [], None, None
    calls: dict[int, dict[str, str]] = {}
    seen_choice = seen_content = listed = False
    async for chunk in stream:
        if chunk.usage is not None:
            usage = chunk.usage
        for choice in chunk.choices or []:
            seen_choice = True
            delta = choice.delta
            if delta is not None:
                text.append(delta.content or "")
                seen_content = seen_content or delta.content is not None
                listed = listed or delta.tool_calls is not None
                reasoning.append(_reasoning_of(delta))
                for part in delta.tool_calls or []:
                    call = calls.setdefault(
                        part.index or 0, {"id": "", "name": "", "arguments": ""}
                    )
                    call["id"] = part.id or call["id"]
                    if part.function is not None:
                        call["name"] += part.function.name or ""
                        call["arguments"] += part.function.arguments or ""
            finish = choice.finish_reason or finish
    if not seen_choice:  # e.g. a JSON error body or garbage instead of events: retry it
        raise ValueError("malformed response: stream had no choices")
    if finish is None:  # cut off: not an answer, whatever text came before
        raise ValueError("malformed response: stream ended without a finish_reason")
    answer, thought = split_reasoning("".join(text), "".join(reasoning))
    tool_calls = [ToolCall(c["name"], c["arguments"], c["id"]) for _, c in sorted(calls.items())]
    return Response(
        answer,
        thought,
        tool_calls,
        finish,
        _usage_of(usage),
        null_content=not seen_content,
        listed_tool_calls=listed,
    )


def _from_stored(stored: dict[str, Any]) -> Response:
    response = Response(**{k: v for k, v in stored.items() if k not in ("tool_calls", "usage")})
    response.tool_calls = [ToolCall(**call) for call in stored.get("tool_calls", [])]
    response.usage = Usage(**stored.get("usage", {}))
    response.cached = True
    return response
