"""A wrong answer's report is built from a one-frame traceback: pytest must show the same."""

from __future__ import annotations

import pytest

from pytest_llmeval.plugin import _keep_raising_frame


def _hidden_helper(message: str, pytrace: bool) -> None:
    __tracebackhide__ = True
    pytest.fail(message, pytrace=pytrace)


def _raise(depth: int, message: str, pytrace: bool) -> None:
    if depth:
        _raise(depth - 1, message, pytrace)
    else:
        _hidden_helper(message, pytrace)


def _failure(pytrace: bool = False) -> pytest.ExceptionInfo[BaseException]:
    with pytest.raises(pytest.fail.Exception) as excinfo:
        _raise(6, "expected 455, got 999\nsecond line", pytrace)
    return excinfo


def _shown(excinfo: pytest.ExceptionInfo[BaseException]) -> tuple[str, tuple]:
    """What pytest's report of a `pytrace=False` failure carries: the message, the crash line."""
    text = str(excinfo.getrepr(style="value"))
    crash = excinfo.getrepr(style="long").reprcrash
    return text, (crash.path, crash.lineno, crash.message)


def test_a_message_only_failure_keeps_the_frame_that_raised_it_and_reads_the_same():
    excinfo = _failure()
    before = _shown(excinfo)
    assert len(excinfo.traceback) == 10  # the test, _raise x7, the hidden helper, pytest.fail
    _keep_raising_frame(excinfo)
    kept = [entry.name for entry in excinfo.traceback]
    assert kept == ["_raise", "_hidden_helper", "__call__"]  # pytest.fail is a callable object
    assert _shown(excinfo) == before
    text, (_, lineno, message) = before
    assert text == "expected 455, got 999\nsecond line"
    assert message == "Failed: expected 455, got 999\nsecond line"
    assert lineno == _raise.__code__.co_firstlineno + 4  # the call into the hidden helper


def test_a_failure_with_its_traceback_keeps_every_frame():
    excinfo = _failure(pytrace=True)
    _keep_raising_frame(excinfo)
    assert len(excinfo.traceback) == 10


def test_other_exceptions_keep_every_frame():
    with pytest.raises(ZeroDivisionError) as excinfo:
        _raise_zero(3)
    count = len(excinfo.traceback)
    _keep_raising_frame(excinfo)
    assert len(excinfo.traceback) == count == 5


def _raise_zero(depth: int) -> float:
    return _raise_zero(depth - 1) if depth else 1 / 0
