"""Calls to an OpenAI-compatible chat endpoint: retries, timeouts, streaming, usage, cache.

The client knows nothing of benchmarks: it sends messages (and tools) and returns a Response
with the answer text kept apart from any reasoning text. Failures that a retry can cure (429,
5xx, timeouts, dropped connections, malformed bodies) are retried with exponential backoff and
full jitter, honouring ``Retry-After``; other 4xx errors are the caller's mistake and are raised
at once as ServiceError.

The request goes out through aiohttp and the answer is parsed with ``json`` straight into our
Response: the openai SDK's request building and typed parsing cost more per call than the whole
rest of the harness, and importing it most of a second. The SDK stays the vocabulary of
failures (its exception classes, built the way it builds them) and is imported on the first
failure only.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import email.utils
import json
import random
import re
import time
from dataclasses import asdict
from types import ModuleType
from typing import TYPE_CHECKING, Any

import aiohttp

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
USER_AGENT = "pytest-llmeval"


def _sdk() -> ModuleType:
    """The openai package, for its exception classes: imported when the first call fails."""
    import openai

    return openai


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
    openai = _sdk()
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
    if isinstance(error, _sdk().APIStatusError):
        return error.status_code in RETRYABLE_STATUS or error.status_code >= 500
    return True  # timeouts, connection errors, malformed bodies


def _is_refusal(error: Exception) -> bool:
    return isinstance(error, _sdk().BadRequestError) and any(
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
        self.timeout = timeout
        base = (endpoint.base_url or "https://api.openai.com/v1").rstrip("/")
        self._url = f"{base}/chat/completions"
        self._headers = {
            "Authorization": f"Bearer {endpoint.api_key or 'EMPTY'}",
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
        }
        self._session: aiohttp.ClientSession | None = None  # made on the loop that calls

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
        options = {**self._headers, **headers} if headers else self._headers
        route = self.router.route() if self.router is not None else None
        attempt = 0
        while True:
            attempt += 1
            started = time.perf_counter()
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
                if not isinstance(error, (_sdk().OpenAIError, ValueError)):
                    raise
                message, status = _describe(error)
                if not _is_retryable(error) or attempt > self.retries:
                    raise ServiceError(message, status=status, attempts=attempt) from None
                await asyncio.sleep(backoff_delay(attempt, error))
                continue
            response.latency_s = time.perf_counter() - started
            response.attempts = attempt
            return response

    async def _send(self, body: dict[str, Any], headers: dict[str, str]) -> Response:
        """POST the body as built (plain JSON already) and read the answer into a Response;
        what goes wrong is raised as the SDK would raise it."""
        payload = {"model": self.endpoint.model or "", **body}
        if self.stream:
            payload |= {"stream": True, "stream_options": {"include_usage": True}}
        data = json.dumps(payload).encode()  # ASCII: a lone surrogate travels as its escape
        if self._session is None:
            self._session = _http_client(self.timeout)
        try:
            async with self._session.post(self._url, data=data, headers=headers) as answer:
                if answer.status >= 400:
                    raise _status_error(self._url, answer, await answer.read())
                if self.stream:
                    return await _from_stream(_events(self._url, answer))
                return _from_completion(json.loads(await answer.read()))
        except TimeoutError as error:
            raise _sdk().APITimeoutError(request=_request(self._url)) from error
        except aiohttp.ClientError as error:
            raise _sdk().APIConnectionError(request=_request(self._url)) from error

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def _http_client(timeout: float) -> aiohttp.ClientSession:
    """One pooled session per client: connections kept alive and reused, never a reconnect
    per call; `timeout` bounds the connect and each wait for bytes (as httpx's does), not a
    long stream as a whole."""
    connector = aiohttp.TCPConnector(limit=1000, keepalive_timeout=60, ttl_dns_cache=None)
    bounds = aiohttp.ClientTimeout(total=None, connect=timeout, sock_read=timeout)
    # read_bufsize: one event line of a stream may be long (a whole reply in one chunk)
    return aiohttp.ClientSession(connector=connector, timeout=bounds, read_bufsize=1 << 20)


def _request(url: str) -> Any:
    """The SDK's exceptions carry its HTTP library's request (httpx2 for this openai)."""
    import httpx2

    return httpx2.Request("POST", url)


def _status_error(url: str, answer: aiohttp.ClientResponse, raw: bytes) -> Exception:
    """The SDK's exception for a 4xx/5xx answer, with its message, body and headers, as its
    client makes it."""
    import httpx2

    openai = _sdk()
    response = httpx2.Response(
        answer.status,
        headers=list(answer.raw_headers),
        content=raw,
        request=_request(url),
    )
    text = raw.decode("utf-8", "replace").strip()
    try:
        body: Any = json.loads(text)
    except ValueError:
        body = text
    data = body.get("error", body) if isinstance(body, dict) else body
    said = _message_of(data)
    message = f"Error code: {answer.status}" + (f" - {said}" if said else "")
    kind = _STATUS_ERRORS.get(answer.status)
    if kind is None:
        kind = "InternalServerError" if answer.status >= 500 else "APIStatusError"
    return getattr(openai, kind)(message, response=response, body=data)


def _message_of(error: Any) -> str | None:
    """An error object's `message`, when it is a string with something in it."""
    said = error.get("message") if isinstance(error, dict) else None
    return said if isinstance(said, str) and said else None


_STATUS_ERRORS = {
    400: "BadRequestError",
    401: "AuthenticationError",
    403: "PermissionDeniedError",
    404: "NotFoundError",
    409: "ConflictError",
    422: "UnprocessableEntityError",
    429: "RateLimitError",
}


async def _events(url: str, answer: aiohttp.ClientResponse) -> Any:
    """The JSON of each server-sent event up to ``[DONE]``; an event that carries an error
    is raised as the SDK raises it."""
    lines: list[str] = []
    async for raw in answer.content:
        line = raw.decode("utf-8").rstrip("\r\n")
        if line.startswith("data:"):
            lines.append(line[5:].removeprefix(" "))
            continue
        if line or not lines:
            continue  # other fields (event:, id:, comments) or blank lines between events
        text, lines = "\n".join(lines), []
        if text.startswith("[DONE]"):
            await answer.read()  # the rest of the body, so the connection is reused
            return
        data = json.loads(text)
        if isinstance(data, dict) and data.get("error"):
            error = data["error"]
            said = _message_of(error) or "An error occurred during streaming"
            raise _sdk().APIError(said, _request(url), body=error)
        yield data


def _reasoning_of(message: dict[str, Any]) -> str:
    return message.get("reasoning_content") or message.get("reasoning") or ""


def _usage_of(usage: Any) -> Usage:
    if not isinstance(usage, dict):
        return Usage(calls=1)
    return Usage(usage.get("prompt_tokens") or 0, usage.get("completion_tokens") or 0, 1)


def _from_completion(completion: Any) -> Response:
    choices = completion.get("choices") if isinstance(completion, dict) else None
    if not choices or not isinstance(choices, list) or not isinstance(choices[0], dict):
        raise ValueError("malformed response: no choices")
    choice = choices[0]
    message = choice.get("message") or {}
    if not isinstance(message, dict):
        raise ValueError("malformed response: the choice has no message")
    text, reasoning = split_reasoning(message.get("content") or "", _reasoning_of(message))
    calls = [
        ToolCall(function.get("name") or "", function.get("arguments") or "", call.get("id") or "")
        for call in (message.get("tool_calls") or [])
        if isinstance(call, dict) and isinstance(function := call.get("function"), dict)
    ]
    return Response(
        text,
        reasoning,
        calls,
        choice.get("finish_reason"),
        _usage_of(completion.get("usage")),
        null_content=message.get("content") is None,
        listed_tool_calls=message.get("tool_calls") is not None,
    )


async def _from_stream(events: Any) -> Response:
    text, reasoning, finish, usage = [], [], None, None
    calls: dict[int, dict[str, str]] = {}
    seen_choice = seen_content = listed = False
    async for chunk in events:
        if not isinstance(chunk, dict):
            continue
        if chunk.get("usage") is not None:
            usage = chunk["usage"]
        for choice in chunk.get("choices") or []:
            seen_choice = True
            delta = choice.get("delta")
            if isinstance(delta, dict):
                text.append(delta.get("content") or "")
                seen_content = seen_content or delta.get("content") is not None
                listed = listed or delta.get("tool_calls") is not None
                reasoning.append(_reasoning_of(delta))
                for part in delta.get("tool_calls") or []:
                    call = calls.setdefault(
                        part.get("index") or 0, {"id": "", "name": "", "arguments": ""}
                    )
                    call["id"] = part.get("id") or call["id"]
                    function = part.get("function")
                    if isinstance(function, dict):
                        call["name"] += function.get("name") or ""
                        call["arguments"] += function.get("arguments") or ""
            finish = choice.get("finish_reason") or finish
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
