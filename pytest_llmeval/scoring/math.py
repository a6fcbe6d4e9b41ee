"""Math answers checked with math-verify, under a hard time bound per check.

math-verify can hang on pathological text, and its own ``signal.alarm`` timeouts cannot stop
work that sits inside C code (a huge integer power, say) and they turn a timeout into a plain
"no match". So every check runs in one long-lived child process that is killed when it overruns:
the bound always holds, a timeout is reported as ``timeout``, and the next check starts a fresh
child. The child costs one start-up (about a second of imports) per test process.
"""

from __future__ import annotations

import atexit
import multiprocessing
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

STARTUP_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class MathVerdict:
    correct: bool
    extracted: str
    reason: str


def _check_in_child(answer: str, gold: str) -> tuple[bool, str, str]:
    """Extract the final answer (boxed first, then the last expression) and compare with gold."""
    from math_verify import ExprExtractionConfig, LatexExtractionConfig, parse, verify

    gold_text = str(gold).strip()
    if not (gold_text.startswith("$") or "\\boxed" in gold_text):
        gold_text = f"${gold_text}$"
    gold_parsed = parse(
        gold_text, (LatexExtractionConfig(), ExprExtractionConfig()), parsing_timeout=None
    )
    parsed = parse(
        answer,
        (LatexExtractionConfig(boxed_match_priority=0), ExprExtractionConfig()),
        parsing_timeout=None,
    )
    if not parsed:
        return False, "", "no_answer_found"
    extracted = str(parsed[-1])
    if verify(gold_parsed, parsed, timeout_seconds=None):
        return True, extracted, "correct"
    return False, extracted, f"expected {gold}, got {extracted}"


def _serve(conn: Connection) -> None:
    import logging

    import math_verify  # noqa: F401 - pay the import before saying ready

    logging.getLogger("math_verify").setLevel(logging.ERROR)  # "timeout disabled" notices
    conn.send("ready")
    while True:
        try:
            answer, gold = conn.recv()
        except EOFError:
            return
        try:
            conn.send(_check_in_child(answer, gold))
        except Exception as error:
            conn.send((False, "", f"math_verify_error: {type(error).__name__}"))


class BoundedChecker:
    """A child process running math-verify, replaced whenever a check overruns."""

    def __init__(self) -> None:
        self._process: Any = None
        self._conn: Connection | None = None

    def _start(self) -> Connection:
        context = multiprocessing.get_context("spawn")  # no fork of a threaded parent
        parent, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(child,), daemon=True)
        self._process.start()
        child.close()
        try:
            ready = parent.poll(STARTUP_TIMEOUT_S) and parent.recv() == "ready"
        except EOFError:  # the child died while importing
            ready = False
        if not ready:
            self.stop()
            raise RuntimeError("math-verify worker did not start")
        self._conn = parent
        return parent

    def check(self, answer: str, gold: str, seconds: float) -> MathVerdict:
        conn = self._conn or self._start()
        conn.send((answer, gold))
        if conn.poll(seconds):
            try:
                return MathVerdict(*conn.recv())
            except EOFError:
                pass  # the child died mid-check: treat like an overrun
        self.stop()
        return MathVerdict(False, "", "timeout")

    def stop(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.join()
        if self._conn is not None:
            self._conn.close()
        self._process = self._conn = None


_checker = BoundedChecker()
atexit.register(_checker.stop)


def check_answer(answer: str, gold: str, *, seconds: float = 10.0) -> MathVerdict:
    """Is `answer`'s final expression equal to `gold`? Never takes much more than `seconds`."""
    return _checker.check(answer, gold, seconds)
