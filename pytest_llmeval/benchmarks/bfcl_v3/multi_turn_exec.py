"""Sandboxed execution of BFCL v3 multi-turn calls on the official simulated APIs.

The official executor
(`eval_checker/multi_turn_eval/multi_turn_utils.py:execute_multi_turn_func_call`)
caches one instance per class in its module `globals()` and `eval()`s the call text. Here every
sample gets its own `Backends`, and a call runs only if `ast` shows it is a plain call of a public
method of one of the sample's instances with literal arguments (spec section 6).
"""

from __future__ import annotations

import ast
import decimal
import importlib
import inspect
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from copy import deepcopy
from dataclasses import dataclass
from typing import Any

_SOURCE_PACKAGE = "bfcl_eval.eval_checker.multi_turn_eval.func_source_code"

# multi_turn_utils.py:CLASS_FILE_PATH_MAPPING, as module names inside func_source_code/.
CLASS_MODULES: dict[str, str] = {
    "GorillaFileSystem": "gorilla_file_system",
    "MathAPI": "math_api",
    "MessageAPI": "message_api",
    "TwitterAPI": "posting_api",
    "TicketAPI": "ticket_api",
    "TradingBot": "trading_bot",
    "TravelAPI": "travel_booking",
    "VehicleControlAPI": "vehicle_control",
}

# multi_turn_utils.py:STATELESS_CLASSES: built without `_load_scenario`.
STATELESS_CLASSES = frozenset({"MathAPI"})

# Names the official executor refuses before `eval` (multi_turn_utils.py).
BLOCKED_NAMES = frozenset({"kill", "exit", "quit", "remove", "unlink", "popen", "Popen", "run"})

# TravelAPI._load_scenario(long_context=True) stores the card and booking dicts of
# long_context.CREDIT_CARD_EXTENSION / BOOKING_RECORD_EXTENSION by reference, so a booking
# would change them for every later sample in the process. These attributes get their own copy.
_ATTRIBUTES_SHARING_MODULE_DATA: dict[str, tuple[str, ...]] = {
    "TravelAPI": ("credit_card_list", "booking_record"),
}

# Arguments past which a MathAPI call would run for minutes or fill the memory (a bigint
# power, thousands of digits of a log or root): refused like any failing call, so the
# conversation goes on. The data's ground truth stays far below them.
ARGUMENT_LIMITS: dict[tuple[str, str], dict[str, float]] = {
    ("MathAPI", "power"): {"exponent": 10_000, "base": 1e100},
    ("MathAPI", "logarithm"): {"precision": 1_000},
    ("MathAPI", "square_root"): {"precision": 1_000},
}

_ERROR_PREFIX = "Error during execution: "
_PLAIN_CALL_ONLY = (
    "only a plain call name(literal, ..., key=literal, ...) of the sample's functions is allowed"
)


class CallRejected(Exception):
    """A call the sandbox refuses to run; the message is the text after the error prefix."""


@dataclass(frozen=True)
class ParsedCall:
    """A call read from source text: a bare function name and literal arguments."""

    name: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any]


def parse_call_source(call_src: str) -> ParsedCall:
    """Read `name(literal, key=literal)`; raise CallRejected for anything else.

    The blocklist is checked before the arguments, as the official executor checks the name
    before it evaluates anything.
    """
    call = _parse_plain_call(call_src)
    name = call.func.id
    if name in BLOCKED_NAMES:
        raise CallRejected(f"Function call {name} is not allowed.")
    args = tuple(_literal(node, name) for node in call.args)
    kwargs = {kw.arg: _literal(kw.value, name) for kw in call.keywords}
    return ParsedCall(name, args, kwargs)


def _parse_plain_call(call_src: str) -> ast.Call:
    """The call node of `call_src`, which must be one call of a bare name without * or **."""
    try:
        # filename="<string>" so syntax errors read as the official `eval` reports them.
        body = ast.parse(call_src, filename="<string>", mode="eval").body
    except SyntaxError as exc:
        raise CallRejected(str(exc)) from None
    except (ValueError, RecursionError, MemoryError):
        raise CallRejected(_PLAIN_CALL_ONLY) from None
    if not isinstance(body, ast.Call) or not isinstance(body.func, ast.Name):
        raise CallRejected(_PLAIN_CALL_ONLY)
    has_star_args = any(isinstance(arg, ast.Starred) for arg in body.args)
    if has_star_args or any(kw.arg is None for kw in body.keywords):
        raise CallRejected(_PLAIN_CALL_ONLY)
    return body


def _literal(node: ast.expr, func_name: str) -> Any:
    """The value of a literal argument node (numbers, strings, lists, dicts, tuples, ...)."""
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
        raise CallRejected(f"arguments of {func_name} must be literals") from None


def render_call_source(name: str, kwargs: dict[str, Any]) -> str:
    """The call text the official FC decoder builds (`utils.py:convert_to_function_call`)."""
    return f"{name}({','.join(f'{key}={value!r}' for key, value in kwargs.items())})"


def result_text(result: Any) -> str:
    """Convert a return value as the official executor does: str as is, dict as JSON, else str()."""
    if type(result) is str:
        return result
    if type(result) is dict:
        try:
            return json.dumps(result)
        except (TypeError, ValueError, RecursionError):
            return str(result)
    return str(result)


class Backends:
    """The simulated API instances of one sample, for one side (model or ground truth)."""

    def __init__(
        self, initial_config: dict[str, Any], involved_classes: list[str], *, long_context: bool
    ) -> None:
        self.instances: dict[str, Any] = {}
        self._methods: dict[str, Callable[..., Any]] = {}
        for class_name in involved_classes:
            instance = _new_instance(class_name, initial_config, long_context)
            self.instances[class_name] = instance
            # Later classes overwrite earlier ones on a shared method name, as official.
            self._methods.update(_public_methods(instance))

    @classmethod
    def for_entry(cls, entry: dict[str, Any], *, long_context: bool) -> Backends:
        """Fresh instances for a multi-turn question entry."""
        return cls(entry["initial_config"], entry["involved_classes"], long_context=long_context)

    def execute(self, calls: list[tuple[str, dict[str, Any]]]) -> list[str]:
        """Run decoded calls in order; one result text per call.

        Each call goes through the text the official decoder would `eval`, so its quirks
        (e.g. NaN arguments or non-identifier keys fail) are kept.
        """
        return [self._execute_structured(name, kwargs) for name, kwargs in calls]

    def _execute_structured(self, name: str, kwargs: dict[str, Any]) -> str:
        try:
            call_src = render_call_source(name, kwargs)
        except (ValueError, RecursionError) as exc:
            return f"{_ERROR_PREFIX}{exc}"
        return self.execute_source(call_src)

    def execute_source(self, call_src: str) -> str:
        """Run one call written as Python source (ground truth may use positional arguments)."""
        try:
            call = parse_call_source(call_src)
        except CallRejected as exc:
            return f"{_ERROR_PREFIX}{exc}"
        method = self._methods.get(call.name)
        if method is None:
            return f"{_ERROR_PREFIX}name '{call.name}' is not defined"
        too_large = _beyond_limits(method, call)
        if too_large:
            return f"{_ERROR_PREFIX}{too_large}"
        try:
            with _process_wide_settings_restored():
                # Converted inside: an mpmath result prints with the precision the call set.
                return result_text(method(*call.args, **call.kwargs))
        except Exception as exc:
            return f"{_ERROR_PREFIX}{exc}"


def _beyond_limits(method: Callable[..., Any], call: ParsedCall) -> str:
    """Why this call's arguments are too large to run, or "" when they are not."""
    limits = ARGUMENT_LIMITS.get((type(method.__self__).__name__, call.name))
    if not limits:
        return ""
    try:
        bound = inspect.signature(method).bind(*call.args, **call.kwargs).arguments
    except TypeError:
        return ""  # the call itself reports the wrong arguments, as officially
    for name, limit in limits.items():
        value = bound.get(name)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) > limit:
            return f"{name}={value!r} is larger than this harness runs ({limit:g})"
    return ""


def _new_instance(class_name: str, initial_config: dict[str, Any], long_context: bool) -> Any:
    """Build and load one instance exactly as the official executor does."""
    module = importlib.import_module(f"{_SOURCE_PACKAGE}.{CLASS_MODULES[class_name]}")
    instance = getattr(module, class_name)()
    if class_name not in STATELESS_CLASSES:
        scenario = deepcopy(initial_config.get(class_name, {}))
        instance._load_scenario(scenario, long_context=long_context)
        _detach_module_data(class_name, instance)
    return instance


def _detach_module_data(class_name: str, instance: Any) -> None:
    """Give the instance its own copy of state that `_load_scenario` shares with module data."""
    for attribute in _ATTRIBUTES_SHARING_MODULE_DATA.get(class_name, ()):
        setattr(instance, attribute, deepcopy(getattr(instance, attribute)))


def _public_methods(instance: Any) -> Iterator[tuple[str, Callable[..., Any]]]:
    """Bound methods without a leading underscore (the official name → instance mapping).

    Their names are read once per class from its first instance: `inspect.getmembers` reads
    every attribute of the instance, a third of making a sample's backends."""
    names = _PUBLIC_METHOD_NAMES.get(type(instance))
    if names is None:
        members = inspect.getmembers(instance, predicate=inspect.ismethod)
        names = tuple(name for name, _ in members if not name.startswith("_"))
        _PUBLIC_METHOD_NAMES[type(instance)] = names
    for name in names:
        yield name, getattr(instance, name)


_PUBLIC_METHOD_NAMES: dict[type, tuple[str, ...]] = {}


@contextmanager
def _process_wide_settings_restored() -> Iterator[None]:
    """Undo MathAPI's process-wide precision changes after each call.

    `math_api.py` sets `decimal.getcontext().prec` (square_root) and `mpmath.mp.dps`
    (logarithm); both set them before computing, so results are unchanged, but nothing
    else in the process (or a later sample) may see them.
    """
    mpmath = sys.modules.get("mpmath")
    mpmath_dps = mpmath.mp.dps if mpmath is not None else None
    try:
        with decimal.localcontext():
            yield
    finally:
        if mpmath is not None:
            mpmath.mp.dps = mpmath_dps
