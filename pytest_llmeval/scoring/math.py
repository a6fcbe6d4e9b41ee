"""Math answers checked with math-verify, under a hard time bound per check.

math-verify can hang on pathological text, and its own ``signal.alarm`` timeouts cannot stop
work that sits inside C code (a huge integer power, say) and they turn a timeout into a plain
"no match". So every check runs in a long-lived child process that is killed when it overruns:
the bound always holds, a timeout is reported as ``timeout``, and the next check starts a fresh
child. There is one child per core (started when first needed, about a second of imports
each), so checks from several threads run side by side.

The common case, one ``\\boxed{123}`` holding a small integer compared with an integer gold,
needs no child: `fast_verdict` gives math-verify's verdict and extracted string for it directly
(why it is the same is written there; tests/test_math_fast.py checks it on many replies).
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import queue
import re
from dataclasses import dataclass
from functools import lru_cache
from multiprocessing.connection import Connection
from typing import Any

STARTUP_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class MathVerdict:
    correct: bool
    extracted: str
    reason: str


_INTEGER = re.compile(r"[0-9]{1,6}")
_BOX = re.compile(r"\\boxed\{([^{}]*)\}")


def fast_verdict(answer: str, gold: str) -> MathVerdict | None:
    """math-verify's verdict for a reply whose one box holds a small integer, or None.

    Why it is the same, for a reply with one ``\\boxed`` (no ``\\fbox``) whose box is
    ``{D}``, D digits with surrounding spaces, and no letter or ``%`` after it: math-verify's
    first tier (``boxed_match_priority=0``) holds the plain-box pattern (from ``\\boxed{`` to
    the last ``}``), the box inside ``$ $``, ``$$ $$``, ``\\[ \\]``, ``\\( \\)`` or ``[ ]``,
    and "final answer is ... I hope" (which, with no letter after the box, ends before the
    others and is tried after them). Every match of the first two contains the one box, whose
    normalisation keeps only the box's stripped content D, which parses as an integer; a
    percent sign or word after it (the only suffix that changes the value: 100% is also 1) is
    excluded. So the extraction is D as text and as the integer, and verify compares integers
    (six digits at most: no float rounding can make two of them equal).
    """
    gold_text = str(gold).strip()
    if _INTEGER.fullmatch(gold_text) is None or answer.count("\\boxed") != 1:
        return None
    box = _BOX.search(answer)
    if box is None or "\\fbox" in answer:
        return None
    content = box.group(1).strip()
    tail = answer[box.end() :]
    if _INTEGER.fullmatch(content) is None or "%" in tail or any(c.isalpha() for c in tail):
        return None
    if int(content) == int(gold_text):
        return MathVerdict(True, content, "correct")
    return MathVerdict(False, content, f"expected {gold}, got {content}")


@lru_cache(maxsize=256)
def _parsed_gold(gold: str) -> list[Any]:
    """A gold answer parsed once (a sample's repeats and re-scored runs ask again)."""
    from math_verify import ExprExtractionConfig, LatexExtractionConfig, parse

    gold_text = str(gold).strip()
    if not (gold_text.startswith("$") or "\\boxed" in gold_text):
        gold_text = f"${gold_text}$"
    return parse(gold_text, (LatexExtractionConfig(), ExprExtractionConfig()), parsing_timeout=None)


def _check_in_child(answer: str, gold: str) -> tuple[bool, str, str]:
    """Extract the final answer (boxed first, then the last expression) and compare with gold."""
    from math_verify import ExprExtractionConfig, LatexExtractionConfig, parse, verify

    gold_parsed = _parsed_gold(gold)
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


class CheckerPool:
    """One `BoundedChecker` per core; a thread takes an idle one for each check."""

    def __init__(self, size: int) -> None:
        self._all = [BoundedChecker() for _ in range(size)]
        self._idle: queue.SimpleQueue[BoundedChecker] = queue.SimpleQueue()
        for checker in self._all:
            self._idle.put(checker)

    def check(self, answer: str, gold: str, seconds: float) -> MathVerdict:
        checker = self._idle.get()
        try:
            return checker.check(answer, gold, seconds)
        finally:
            self._idle.put(checker)

    def stop(self) -> None:
        for checker in self._all:
            checker.stop()


_pool = CheckerPool(os.cpu_count() or 1)
atexit.register(_pool.stop)


def check_answer(answer: str, gold: str, *, seconds: float = 10.0) -> MathVerdict:
    """Is `answer`'s final expression equal to `gold`? Never takes much more than `seconds`.
    Safe to call from several threads at once."""
    return fast_verdict(answer, gold) or _pool.check(answer, gold, seconds)
