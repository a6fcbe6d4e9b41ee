"""BFCL v3 multi-turn: preparation, the conversation loop, and the checker (spec section 4).

Official sources mirrored here (bfcl-eval 2025.8.6.2): `_llm_response_generation.py:
process_multi_turn_test_case` (4.1), `model_handler/base_handler.py:inference_multi_turn_FC` and
`inference_multi_turn_prompting` (4.2) and `eval_checker/multi_turn_eval/multi_turn_checker.py`
(4.5). Execution goes through the sandbox in `multi_turn_exec.py` (4.4 and section 6).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from pytest_llmeval.benchmarks.bfcl_v3.ast_checker import CheckResult
from pytest_llmeval.benchmarks.bfcl_v3.decode import DecodeError, decode_fc, decode_prompt
from pytest_llmeval.benchmarks.bfcl_v3.multi_turn_exec import Backends
from pytest_llmeval.benchmarks.bfcl_v3.tools import (
    apply_prompt_mode,
    language_preprocess,
    to_openai_tools,
)
from pytest_llmeval.records import Response, SerializedOnce

Call = tuple[str, dict[str, Any]]
Chat = Callable[[list[dict[str, Any]], list[dict[str, Any]] | None], Awaitable[Response]]

# constants/category_mapping.py:MULTI_TURN_FUNC_DOC_FILE_MAPPING (files in multi_turn_func_doc/).
FUNC_DOC_FILES: dict[str, str] = {
    "GorillaFileSystem": "gorilla_file_system.json",
    "MathAPI": "math_api.json",
    "MessageAPI": "message_api.json",
    "TwitterAPI": "posting_api.json",
    "TicketAPI": "ticket_api.json",
    "TradingBot": "trading_bot.json",
    "TravelAPI": "travel_booking.json",
    "VehicleControlAPI": "vehicle_control.json",
}

# constants/default_prompts.py
MAXIMUM_STEP_LIMIT = 20
ADDITIONAL_FUNCTION_PROMPT = (
    "I have updated some more functions you can choose from. What about now?"
)

FORCE_TERMINATED = "multi_turn:force_terminated"
EMPTY_TURN = "multi_turn:empty_turn_model_response"
STATE_MISMATCH = "multi_turn:instance_state_mismatch"
RESPONSE_MISMATCH = "multi_turn:execution_response_mismatch"


@dataclass
class MultiTurnTranscript:
    """What one multi-turn conversation produced.

    `steps[t]` holds the executed steps of turn t (decoded, non-empty), each a list of
    (name, kwargs) calls; `raw_steps[t]` holds every model reply of turn t in the official
    result form (FC: a list of {name: arguments_json} or the reply text; prompting: the text).
    """

    messages: list[dict[str, Any]] = field(default_factory=list)
    steps: list[list[list[Call]]] = field(default_factory=list)
    raw_steps: list[list[Any]] = field(default_factory=list)
    responses: list[Response] = field(default_factory=list)
    force_quit: bool = False


# ---------------------------------------------------------------- preparation (4.1)


def entry_subset(entry: dict[str, Any]) -> str:
    """`multi_turn_base_12` → `multi_turn_base`, as the official code derives it."""
    return entry["id"].rsplit("_", 1)[0]


def uses_long_context(entry: dict[str, Any]) -> bool:
    """Backends load long-context filler when the subset name says so (base_handler.py)."""
    return "long_context" in entry_subset(entry)


def build_functions(
    entry: dict[str, Any], func_doc_dir: Path
) -> tuple[list[dict[str, Any]], dict[str, list[dict[str, Any]]]]:
    """The entry's function docs, and the held-out docs of miss_func per turn index.

    Docs of every involved class are concatenated; each missed name's first doc is moved to
    its turn (a name without a doc is skipped), as `process_multi_turn_test_case` does.
    """
    functions: list[dict[str, Any]] = []
    for class_name in entry["involved_classes"]:
        functions.extend(_read_json_lines(func_doc_dir / FUNC_DOC_FILES[class_name]))
    held_out: dict[str, list[dict[str, Any]]] = {}
    for turn_index, names in entry.get("missed_function", {}).items():
        held_out[turn_index] = [
            doc for name in names if (doc := _pop_doc(functions, name)) is not None
        ]
    return functions, held_out


@functools.cache
def _read_json_lines(path: Path) -> tuple[dict[str, Any], ...]:
    """Parsed once per process and shared by every entry: the docs are never mutated
    (tool conversion and language hints work on copies)."""
    with path.open(encoding="utf-8") as lines:
        return tuple(json.loads(line) for line in lines if line.strip())


def _pop_doc(functions: list[dict[str, Any]], name: str) -> dict[str, Any] | None:
    for index, doc in enumerate(functions):
        if doc["name"] == name:
            return functions.pop(index)
    return None


# ---------------------------------------------------------------- conversation (4.2)


class _Dialect(Protocol):
    """How one mode shows functions, reads replies and feeds results back."""

    tools: list[dict[str, Any]] | None

    def first_turn(self, messages: list[dict[str, Any]]) -> list[dict[str, Any]]: ...

    def announce(self, docs: list[dict[str, Any]]) -> dict[str, Any]: ...

    def raw(self, response: Response) -> Any: ...

    def decode(self, response: Response) -> list[Call]: ...

    def result_messages(
        self, response: Response, calls: list[Call], results: list[str]
    ) -> list[dict[str, Any]]: ...


_FIRST_COMPILES: dict[tuple[tuple[int, ...], str], tuple[Any, ...]] = {}


def _first_compile(
    functions: list[dict[str, Any]], subset: str
) -> tuple[SerializedOnce, tuple[dict[str, Any], ...]]:
    """The tools and hinted docs of a conversation's first step, made once per list of doc
    objects: 800 conversations share a few class combinations, whose docs are parsed once and
    never mutated (`_read_json_lines`), so the list's identity is its content. The entry keeps
    those objects alive, so no id is reused; the shared results are only read."""
    key = (tuple(map(id, functions)), subset)
    if key not in _FIRST_COMPILES:
        tools, hinted = _compiled(functions, subset)
        _FIRST_COMPILES[key] = (tuple(functions), tools, tuple(hinted))
    _, tools, hinted = _FIRST_COMPILES[key]
    return tools, hinted


def _compiled(
    docs: list[dict[str, Any]], subset: str
) -> tuple[SerializedOnce, list[dict[str, Any]]]:
    """The tools made from `docs`, and the docs as the official `_compile_tools` leaves them.

    The official handler appends the language hint to `test_entry["function"]` in place,
    so after a held-out turn the earlier docs carry the hint twice and the new ones once.
    """
    tools = SerializedOnce(to_openai_tools(docs, subset))  # sent every step
    return tools, language_preprocess(docs, subset)


class _FunctionCalling:
    """Native tools (`inference_multi_turn_FC` with the OpenAI-Completions handler)."""

    def __init__(self, functions: list[dict[str, Any]], subset: str) -> None:
        self._subset = subset
        self.tools, hinted = _first_compile(functions, subset)
        self._docs = list(hinted)

    def _compile(self) -> list[dict[str, Any]]:
        tools, self._docs = _compiled(self._docs, self._subset)
        return tools

    def first_turn(self, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return messages

    def announce(self, docs: list[dict[str, Any]]) -> dict[str, Any]:
        self._docs.extend(docs)
        self.tools = self._compile()
        return {"role": "user", "content": ADDITIONAL_FUNCTION_PROMPT}

    def raw(self, response: Response) -> Any:
        if response.tool_calls:
            return [{call.name: call.arguments} for call in response.tool_calls]
        return response.text

    def decode(self, response: Response) -> list[Call]:
        # A reply without tool calls is text: the official decode fails or is empty.
        return _as_calls(decode_fc(response.tool_calls)) if response.tool_calls else []

    def result_messages(
        self, response: Response, calls: list[Call], results: list[str]
    ) -> list[dict[str, Any]]:
        return [
            {"role": "tool", "content": result, "tool_call_id": call.id}
            for result, call in zip(results, response.tool_calls, strict=True)
        ]


class _Prompting:
    """Functions in the system prompt (`inference_multi_turn_prompting`, OpenAI handler)."""

    tools = None

    def __init__(self, functions: list[dict[str, Any]], subset: str) -> None:
        self._functions = functions
        self._subset = subset

    def first_turn(self, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return apply_prompt_mode(messages, self._functions, self._subset)

    def announce(self, docs: list[dict[str, Any]]) -> dict[str, Any]:
        # DEFAULT_USER_PROMPT_FOR_ADDITIONAL_FUNCTION_PROMPTING: the docs' Python repr first.
        return {"role": "user", "content": f"{docs}\n{ADDITIONAL_FUNCTION_PROMPT}"}

    def raw(self, response: Response) -> Any:
        return response.text

    def decode(self, response: Response) -> list[Call]:
        calls = _as_calls(decode_prompt(response.text))
        for name, kwargs in calls:
            prompt_call_text(name, kwargs)  # fails where the official execution list fails
        return calls

    def result_messages(
        self, response: Response, calls: list[Call], results: list[str]
    ) -> list[dict[str, Any]]:
        tool_results = [
            {"role": "tool", "name": prompt_call_text(name, kwargs), "content": result}
            for (name, kwargs), result in zip(calls, results, strict=True)
        ]
        return [{"role": "user", "content": repr(tool_results)}]


def _as_calls(decoded: list[dict[str, Any]]) -> list[Call]:
    """[{name: kwargs}, ...] → [(name, kwargs), ...]; non-dict arguments cannot be called."""
    calls = [(name, kwargs) for call in decoded for name, kwargs in call.items()]
    if any(not isinstance(kwargs, dict) for _, kwargs in calls):
        raise DecodeError("function arguments are not an object")
    return calls


def prompt_call_text(name: str, kwargs: dict[str, Any]) -> str:
    """The call text of a prompting reply (`utils.py:decoded_output_to_execution_list`)."""
    return f"{name}({', '.join(f'{key}={_nested_value_text(v)}' for key, v in kwargs.items())})"


def _nested_value_text(value: Any) -> str:
    """`utils.py:parse_nested_value`: a dict of dicts reads as a nested call."""
    if not isinstance(value, dict):
        return repr(value)
    if all(isinstance(inner, dict) for inner in value.values()):
        if not value:  # the official code fails here (IndexError), so decoding fails
            raise DecodeError("empty dict argument")
        func_name = next(iter(value))
        args = ", ".join(f"{k}={_nested_value_text(v)}" for k, v in value[func_name].items())
        return f"{func_name}({args})"
    return "{" + ", ".join(f"'{k}': {_nested_value_text(v)}" for k, v in value.items()) + "}"


async def run_conversation(
    entry: dict[str, Any],
    functions: list[dict[str, Any]],
    held_out: dict[str, list[dict[str, Any]]],
    chat: Chat,
    *,
    mode: Literal["fc", "prompt"],
    long_context: bool,
) -> MultiTurnTranscript:
    """Play every turn of `entry` against `chat`, executing calls on fresh model-side backends.

    `chat(messages, tools)` sends one request (tools is None in prompt mode) and raises on
    service errors; those propagate. A force-quit (21 executed steps in one turn) ends the entry.
    """
    subset = entry_subset(entry)
    dialect: _Dialect = (
        _FunctionCalling(functions, subset) if mode == "fc" else _Prompting(functions, subset)
    )
    backends = Backends.for_entry(entry, long_context=long_context)
    transcript = MultiTurnTranscript()
    for turn_index, turn_messages in enumerate(entry["question"]):
        messages = _turn_messages(turn_index, turn_messages, held_out, dialect)
        transcript.messages.extend(dialect.first_turn(messages) if turn_index == 0 else messages)
        if not await _run_turn(transcript, dialect, backends, chat):
            transcript.force_quit = True
            break
    return transcript


def _turn_messages(
    turn_index: int,
    turn_messages: list[dict[str, Any]],
    held_out: dict[str, list[dict[str, Any]]],
    dialect: _Dialect,
) -> list[dict[str, Any]]:
    """The turn's user messages; a miss_func turn (no messages) announces its held-out docs."""
    docs = held_out.get(str(turn_index))
    if docs is None:
        return list(turn_messages)
    if turn_messages:
        raise ValueError(f"held-out turn {turn_index} should have no user message")
    return [dialect.announce(docs)]


async def _run_turn(
    transcript: MultiTurnTranscript, dialect: _Dialect, backends: Backends, chat: Chat
) -> bool:
    """Query until the model stops calling; False when the step cap forces a quit."""
    steps: list[list[Call]] = []
    raw_steps: list[Any] = []
    transcript.steps.append(steps)
    transcript.raw_steps.append(raw_steps)
    for _ in range(MAXIMUM_STEP_LIMIT + 1):
        response = await chat(list(transcript.messages), dialect.tools)
        transcript.responses.append(response)
        transcript.messages.append(response.message())
        raw_steps.append(dialect.raw(response))
        try:
            calls = dialect.decode(response)
        except DecodeError:
            return True
        if not calls:
            return True
        results = backends.execute(calls)
        transcript.messages.extend(dialect.result_messages(response, calls, results))
        steps.append(calls)
    return False


# ---------------------------------------------------------------- checker (4.5)


def check_multi_turn(
    entry: dict[str, Any],
    steps_per_turn: list[list[list[Call]]],
    ground_truth: list[list[str]],
    *,
    long_context: bool,
) -> CheckResult:
    """Re-execute the model's steps and the ground truth on fresh backends, turn by turn."""
    if len(steps_per_turn) != len(ground_truth):
        return CheckResult(
            False,
            FORCE_TERMINATED,
            f"model ran {len(steps_per_turn)} of {len(ground_truth)} turns (force-terminated)",
        )
    model = Backends.for_entry(entry, long_context=long_context)
    truth = Backends.for_entry(entry, long_context=long_context)
    model_results: list[str] = []  # every turn so far: earlier turns may have done the work
    for turn_index, (steps, truth_calls) in enumerate(zip(steps_per_turn, ground_truth)):
        executed_steps = [step for step in steps if step]  # empty steps are dropped, as official
        for step in executed_steps:
            model_results.extend(model.execute(step))
        truth_results = [truth.execute_source(call) for call in truth_calls]
        if not truth_calls:
            continue  # calls made here still count: they were executed above
        if not executed_steps:
            return CheckResult(False, EMPTY_TURN, f"turn {turn_index}: the model made no call")
        failure = _state_failure(model, truth, turn_index) or _response_failure(
            model_results, truth_results, turn_index
        )
        if failure is not None:
            return failure
    return CheckResult(True)


def _state_failure(model: Backends, truth: Backends, turn_index: int) -> CheckResult | None:
    """Every public attribute of every ground-truth instance must equal the model's."""
    for class_name, truth_instance in truth.instances.items():
        model_instance = model.instances[class_name]
        differing = [
            name
            for name, value in vars(truth_instance).items()
            if not name.startswith("_") and getattr(model_instance, name) != value
        ]
        if differing:
            return CheckResult(
                False,
                STATE_MISMATCH,
                f"turn {turn_index}: {class_name} state differs from ground truth in "
                + ", ".join(differing),
            )
    return None


def _response_failure(
    model_results: list[str], truth_results: list[str], turn_index: int
) -> CheckResult | None:
    """The turn's ground-truth results must be a sub-multiset of all model results so far."""
    missing = _missing_items(truth_results, model_results)
    if not missing:
        return None
    return CheckResult(
        False,
        RESPONSE_MISMATCH,
        f"turn {turn_index}: {len(missing)} ground-truth result(s) not among the model's, "
        f"first: {_shorten(missing[0])}",
    )


def _missing_items(expected: list[str], available: list[str]) -> list[str]:
    """Items of `expected` left over after each consumes one equal item of `available`."""
    pool = list(available)
    missing = []
    for item in expected:
        try:
            pool.remove(item)
        except ValueError:
            missing.append(item)
    return missing


def _shorten(text: str, limit: int = 160) -> str:
    """One line for an error message."""
    shown = repr(text)
    return shown if len(shown) <= limit else shown[: limit - 3] + "..."
