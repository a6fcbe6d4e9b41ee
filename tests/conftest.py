"""Fixtures for the project's own tests: a scripted OpenAI-compatible server and test data."""

from __future__ import annotations

import itertools
import json
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import scipy.stats  # noqa: F401  loaded once: see below

from tests.scripted_server import Reply, ScriptedServer

pytest_plugins = ["pytester"]
# scipy is imported above so that numpy is loaded before any in-process pytester run: a run
# that imported it first would drop it from sys.modules, and numpy cannot be loaded twice.

DATA = Path(__file__).parent / "data"
AIME_DATA = DATA / "aime25"
AIME_MODULE = (Path(__file__).parents[1] / "benchmarks" / "test_aime25.py").read_text()
BENCH_MODULE = "test_bench_aime25"  # not test_aime25: that name is taken by our own tests


@pytest.fixture
def serve() -> Iterator[Callable[..., ScriptedServer]]:
    """Start scripted servers on 127.0.0.1; all are stopped after the test."""
    servers: list[ScriptedServer] = []

    def start(handler: Callable[[dict], Reply], **kwargs: object) -> ScriptedServer:
        server = ScriptedServer(handler, **kwargs).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture(scope="session", autouse=True)
def _http_stack_imported() -> None:
    """Make one call (and one failed connection) before any in-process pytester run.

    The HTTP stack imports modules on first use; pytester drops modules first imported inside
    an in-process run, and a later import makes new exception classes that httpx no longer
    maps (an httpcore ConnectError escapes instead of openai's APIConnectionError).
    """
    import asyncio

    from pytest_llmeval.client import ModelClient, ServiceError
    from pytest_llmeval.config import Endpoint

    async def call(base_url: str) -> None:
        client = ModelClient(Endpoint("m", base_url, "k"), timeout=5.0, retries=0)
        try:
            await client.chat([{"role": "user", "content": "warm up"}])
        except ServiceError:
            pass
        finally:
            await client.aclose()

    with ScriptedServer(lambda request: Reply(text="ok")) as server:
        asyncio.run(call(server.base_url))
        port = server.port
    asyncio.run(call(f"http://127.0.0.1:{port}/v1"))  # nothing listens there any more


@pytest.fixture
def unused_port() -> int:
    """A local port with nothing listening on it (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def aime_rows() -> dict[str, list[dict[str, str]]]:
    folder = DATA / "aime25"
    return {
        path.stem: [json.loads(line) for line in path.read_text().splitlines()]
        for path in sorted(folder.glob("*.jsonl"))
    }


def last_user_text(request: dict) -> str:
    for message in reversed(request["messages"]):
        if message["role"] == "user":
            return message["content"]
    return ""


def aime_oracle(request: dict) -> Reply:
    """Answers each of our AIME problems correctly, in a boxed final answer."""
    text = last_user_text(request)
    for rows in aime_rows().values():
        for row in rows:
            if row["question"] in text:
                return Reply(text=f"Let me think. The answer is \\boxed{{{row['answer']}}}.")
    return Reply(text="I do not know.")


# -- AIME problems by request, and handlers built on them ----------------------------------------
@cache
def _aime_index() -> dict[str, tuple[str, int, str]]:
    return {
        row["question"]: (subset, index, row["answer"])
        for subset, rows in aime_rows().items()
        for index, row in enumerate(rows)
    }


def aime_problem(request: dict) -> tuple[str, int, str]:
    """(subset, index in its subset, gold answer) of the AIME problem a request asks."""
    text = last_user_text(request)
    matches = [found for question, found in _aime_index().items() if question in text]
    assert len(matches) == 1, f"not one of our AIME problems: {text[:80]!r}"
    return matches[0]


def aime_handler(choose: Callable[[str, int, str], str | Reply]) -> Callable[[dict], Reply]:
    """`choose(subset, index, gold)` gives the boxed answer to send, or a whole Reply."""

    def handler(request: dict) -> Reply:
        reply = choose(*aime_problem(request))
        return reply if isinstance(reply, Reply) else Reply(text=f"So \\boxed{{{reply}}}.")

    return handler


# -- plugin runs inside pytester -----------------------------------------------------------------
@dataclass
class EvalRun:
    """One pytest run of a benchmark module, and what it left in its output folder."""

    result: pytest.RunResult
    output: Path

    @property
    def ret(self) -> int:
        return int(self.result.ret)

    @property
    def text(self) -> str:
        return "\n".join(self.result.outlines + self.result.errlines)

    @property
    def run_dir(self) -> Path:
        (folder,) = self.output.iterdir()
        return folder

    def report(self) -> dict[str, Any]:
        return json.loads((self.run_dir / "report.json").read_text())

    def rows(self) -> list[tuple[str, str, int, float | None, int]]:
        """report.json rows as (metric, subset, num, score rounded to 4 places, errors)."""
        return [
            (r["metric"], r["subset"], r["num"], _round(r["score"]), r["errors"])
            for r in self.report()["rows"]
        ]

    def samples(self) -> list[dict[str, Any]]:
        lines = (self.run_dir / "samples.jsonl").read_text().splitlines()
        return [json.loads(line) for line in lines]

    def table(self) -> str:
        """The summary table as printed: from its first border line to its last."""
        lines = self.result.outlines
        borders = [i for i, line in enumerate(lines) if line.startswith("+-")]
        return "\n".join(lines[borders[0] : borders[-1] + 1]) if borders else ""


def _round(score: float | None) -> float | None:
    return None if score is None else round(score, 4)


@pytest.fixture
def llmeval(pytester: pytest.Pytester) -> Callable[..., EvalRun]:
    """Run the AIME thin module (or `module`) against `base_url` with our AIME data.

    In-process by default; `subprocess=True` where a real process is needed (xdist). Every
    run writes to a fresh output folder; the response cache lives in the pytester folder.
    """
    counter = itertools.count()

    def run(
        base_url: str | None,
        *args: str,
        module: str = AIME_MODULE,
        subprocess: bool = False,
    ) -> EvalRun:
        pytester.makepyfile(**{BENCH_MODULE: module})
        output = pytester.path / f"out{next(counter)}"
        argv = [
            "-p",
            "no:cacheprovider",
            f"--llm-data=aime25={AIME_DATA}",
            f"--llm-output={output}",
            *([f"--llm-base-url={base_url}", "--llm-model=scripted"] if base_url else []),
            *args,
        ]
        runner = pytester.runpytest_subprocess if subprocess else pytester.runpytest_inprocess
        return EvalRun(runner(*argv), output)

    return run
