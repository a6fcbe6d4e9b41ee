"""A scripted OpenAI-compatible HTTP server on 127.0.0.1 for tests and benchmarks.

A `handler(request_json) -> Reply` decides every answer: canned text, tool calls, reasoning,
streaming, delays, HTTP errors with Retry-After, malformed bodies, dropped connections. It runs
on its own asyncio loop (in a thread, or as ``python -m tests.scripted_server`` in a process of
its own for benchmarks), speaks HTTP/1.1 with keep-alive, and records what it was asked.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Reply:
    """What the server sends back for one request."""

    text: str | None = ""
    tool_calls: list[dict[str, Any]] = field(
        default_factory=list
    )  # {"name":..., "arguments": str|dict}
    empty_tool_calls: bool = False  # send `"tool_calls": []` (no calls are sent without a list)
    reasoning: str | None = None
    status: int = 200
    error: str | None = None  # message of an error body (status >= 400)
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    raw_body: bytes | None = None  # sent as-is (malformed bodies)
    drop: bool = False  # close the connection without answering
    finish_reason: str | None = None
    usage: tuple[int, int] = (10, 5)
    stream_cut: bool = False  # a stream that ends before its finish_reason and [DONE]


Handler = Callable[[dict[str, Any]], Reply]


def _message(reply: Reply) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": reply.text}
    if reply.reasoning is not None:
        message["reasoning_content"] = reply.reasoning
    if reply.tool_calls or reply.empty_tool_calls:
        message["tool_calls"] = [
            {
                "id": f"call_{i}",
                "type": "function",
                "function": {
                    "name": call["name"],
                    "arguments": call["arguments"]
                    if isinstance(call["arguments"], str)
                    else json.dumps(call["arguments"]),
                },
            }
            for i, call in enumerate(reply.tool_calls)
        ]
    return message


def _finish(reply: Reply) -> str:
    return reply.finish_reason or ("tool_calls" if reply.tool_calls else "stop")


def completion_body(reply: Reply, model: str) -> dict[str, Any]:
    prompt, completion = reply.usage
    return {
        "id": "chatcmpl-scripted",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": _message(reply), "finish_reason": _finish(reply)}],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        },
    }


def stream_events(reply: Reply, model: str) -> list[dict[str, Any]]:
    """Chunks as servers send them: reasoning, text in two pieces, tool calls in fragments."""
    base = {
        "id": "chatcmpl-scripted",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": model,
    }
    deltas: list[dict[str, Any]] = [
        {"role": "assistant", "content": None if reply.text is None else ""}
    ]
    if reply.empty_tool_calls and not reply.tool_calls:
        deltas.append({"tool_calls": []})
    if reply.reasoning:
        deltas.append({"reasoning_content": reply.reasoning})
    text = reply.text or ""
    half = len(text) // 2
    deltas += [{"content": text[:half]}, {"content": text[half:]}] if text else []
    for message_call in _message(reply).get("tool_calls", []):
        arguments = message_call["function"]["arguments"]
        cut = len(arguments) // 2
        index = int(message_call["id"].split("_")[1])
        deltas.append(
            {
                "tool_calls": [
                    {
                        "index": index,
                        "id": message_call["id"],
                        "type": "function",
                        "function": {
                            "name": message_call["function"]["name"],
                            "arguments": arguments[:cut],
                        },
                    }
                ]
            }
        )
        deltas.append(
            {"tool_calls": [{"index": index, "function": {"arguments": arguments[cut:]}}]}
        )
    events = [
        {**base, "choices": [{"index": 0, "delta": d, "finish_reason": None}]} for d in deltas
    ]
    events.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": _finish(reply)}]})
    prompt, completion = reply.usage
    events.append(
        {
            **base,
            "choices": [],
            "usage": {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
            },
        }
    )
    return events


class ScriptedServer:
    """Start with `start()`; `base_url` ends in /v1; `requests` holds every chat request body."""

    def __init__(
        self, handler: Handler, host: str = "127.0.0.1", port: int = 0, api_key: str | None = None
    ) -> None:
        self.handler = handler
        self.host, self.port = host, port
        self.api_key = api_key
        self.requests: list[dict[str, Any]] = []
        self.paths: list[str] = []
        """The path of every request, in order (probes of /models among the chat calls)."""
        self.in_flight = 0
        self.arrivals: list[int] = []
        """Chat requests being answered as each one arrived (itself included)."""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.base_events.Server | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    def start(self) -> ScriptedServer:
        ready = threading.Event()
        self._loop = asyncio.new_event_loop()

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            self._server = self._loop.run_until_complete(
                asyncio.start_server(self._serve, self.host, self.port, backlog=1024)
            )
            self.port = self._server.sockets[0].getsockname()[1]
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, name="scripted-server", daemon=True)
        self._thread.start()
        ready.wait()
        return self

    def stop(self) -> None:
        if self._loop is None:
            return

        async def close() -> None:
            """Stop listening and end open connections (keep-alive, delayed replies) cleanly."""
            assert self._server is not None
            self._server.close()
            current = asyncio.current_task()
            pending = [task for task in asyncio.all_tasks() if task is not current]
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(close(), self._loop).result()
        self._loop.call_soon_threadsafe(self._loop.stop)
        assert self._thread is not None
        self._thread.join(timeout=5)
        self._loop = None  # stopped once: a second stop() is a no-op

    def __enter__(self) -> ScriptedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                headers = {
                    k.lower(): v.strip()
                    for k, _, v in (ln.partition(":") for ln in lines[1:] if ln)
                }
                body = await reader.readexactly(int(headers.get("content-length", 0) or 0))
                if not await self._respond(writer, method, path, headers, body):
                    break
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    async def _respond(
        self,
        writer: asyncio.StreamWriter,
        method: str,
        path: str,
        headers: dict[str, str],
        body: bytes,
    ) -> bool:
        self.paths.append(path)
        if self.api_key is not None and headers.get("authorization") != f"Bearer {self.api_key}":
            self._send_json(
                writer,
                401,
                {"error": {"message": "Incorrect API key provided", "code": "invalid_api_key"}},
            )
            return True
        if path.endswith("/models"):
            self._send_json(
                writer, 200, {"object": "list", "data": [{"id": "scripted", "object": "model"}]}
            )
            return True
        if not path.endswith("/chat/completions"):
            self._send_json(writer, 404, {"error": {"message": f"no route {method} {path}"}})
            return True
        request = json.loads(body)
        self.requests.append(request)
        self.in_flight += 1
        self.arrivals.append(self.in_flight)
        try:
            return await self._answer(writer, request, headers)
        finally:
            self.in_flight -= 1

    async def _answer(
        self, writer: asyncio.StreamWriter, request: dict[str, Any], headers: dict[str, str]
    ) -> bool:
        reply = self.handler({**request, "__headers__": headers})
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if reply.drop:
            return False
        if reply.raw_body is not None:
            self._send(writer, reply.status, reply.raw_body, "application/json", reply.headers)
        elif reply.status >= 400:
            self._send_json(
                writer,
                reply.status,
                {"error": {"message": reply.error or "scripted error", "type": "server_error"}},
                reply.headers,
            )
        elif request.get("stream"):
            await self._send_stream(writer, reply, request.get("model", ""))
        else:
            self._send_json(
                writer, 200, completion_body(reply, request.get("model", "")), reply.headers
            )
        await writer.drain()
        return True

    def _send_json(
        self,
        writer: asyncio.StreamWriter,
        status: int,
        payload: Any,
        headers: dict[str, str] | None = None,
    ) -> None:
        self._send(writer, status, json.dumps(payload).encode(), "application/json", headers or {})

    @staticmethod
    def _send(
        writer: asyncio.StreamWriter,
        status: int,
        body: bytes,
        content_type: str,
        headers: dict[str, str],
    ) -> None:
        extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        writer.write(
            f"HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\n"
            f"{extra}\r\n".encode()
            + body
        )

    @staticmethod
    async def _send_stream(writer: asyncio.StreamWriter, reply: Reply, model: str) -> None:
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        events = stream_events(reply, model)
        for event in events[:-2] if reply.stream_cut else events:
            data = f"data: {json.dumps(event)}\n\n".encode()
            writer.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        if reply.stream_cut:
            writer.write(b"0\r\n\r\n")
            return
        done = b"data: [DONE]\n\n"
        writer.write(f"{len(done):x}\r\n".encode() + done + b"\r\n0\r\n\r\n")


def constant_handler(text: str, delay: float = 0.0) -> Handler:
    """Every request gets the same answer after `delay` seconds (for benchmarks)."""
    reply = Reply(text=text, delay=delay)
    return lambda request: reply


class TokenBucket:
    """A rate-limited server's handler: `rate` requests per second in bursts of `burst`,
    each answered by `answer` after `delay` seconds (or the answer's own delay, if longer);
    over the rate, 429 with Retry-After (the seconds to the next token) after `refuse_s` (a
    proxy's time to answer). `refused` says, in the order of the server's `arrivals`, which
    requests it turned away."""

    def __init__(
        self,
        rate: float,
        burst: int,
        delay: float,
        answer: Handler,
        refuse_s: float = 0.02,
    ) -> None:
        self.rate, self.burst, self.delay, self.refuse_s = rate, burst, delay, refuse_s
        self.answer = answer
        self.tokens = float(burst)
        self.last = time.monotonic()
        self.refused: list[bool] = []

    def __call__(self, request: dict[str, Any]) -> Reply:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens < 1:
            self.refused.append(True)
            headers = {"Retry-After": f"{(1 - self.tokens) / self.rate:.3f}"}
            return Reply(status=429, error="rate limited", headers=headers, delay=self.refuse_s)
        self.tokens -= 1
        self.refused.append(False)
        reply = self.answer(request)
        reply.delay = max(reply.delay, self.delay)
        return reply


def main() -> None:
    parser = argparse.ArgumentParser(
        description="scripted OpenAI-compatible server (constant answer)"
    )
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--text", default="\\boxed{0}")
    parser.add_argument("--rate", type=float, help="a token bucket: requests per second")
    parser.add_argument("--burst", type=int, default=1, help="the token bucket's size")
    args = parser.parse_args()
    handler = constant_handler(args.text, args.delay)
    if args.rate:
        handler = TokenBucket(args.rate, args.burst, args.delay, lambda _: Reply(text=args.text))
    server = ScriptedServer(handler, port=args.port).start()
    print(server.base_url, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
