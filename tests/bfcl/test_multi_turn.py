"""BFCL v3 multi-turn: preparation, conversation loop, sandboxed executor, checker (spec 4, 6)."""

from __future__ import annotations

import asyncio
import copy
import decimal
import importlib
import importlib.util
import inspect
import json
import os
import subprocess
import sys
import time
from collections import deque
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from pytest_llmeval.benchmarks.bfcl_v3 import multi_turn, multi_turn_exec
from pytest_llmeval.benchmarks.bfcl_v3.benchmark import installed_data_dir
from pytest_llmeval.benchmarks.bfcl_v3.multi_turn import (
    ADDITIONAL_FUNCTION_PROMPT,
    EMPTY_TURN,
    FORCE_TERMINATED,
    MAXIMUM_STEP_LIMIT,
    RESPONSE_MISMATCH,
    STATE_MISMATCH,
    CheckResult,
    build_functions,
    check_multi_turn,
    prompt_call_text,
    run_conversation,
    uses_long_context,
)
from pytest_llmeval.benchmarks.bfcl_v3.multi_turn_exec import (
    CLASS_MODULES,
    Backends,
    parse_call_source,
)
from pytest_llmeval.records import Response, ToolCall

CATEGORIES = (
    "multi_turn_base",
    "multi_turn_miss_func",
    "multi_turn_miss_param",
    "multi_turn_long_context",
)
PYTHON_HINT = " Note that the provided function is in Python 3 syntax."

# ---------------------------------------------------------------- shared helpers


DATA_DIR = installed_data_dir()
needs_data = pytest.mark.skipif(
    DATA_DIR is None, reason="bfcl-eval 2025.8.6.2 (BFCL_v3 data files) is not installed"
)


def read_json_lines(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


@cache
def _category_json(category: str) -> str:
    """Entries and answers of one category, frozen as JSON so tests get fresh copies."""
    assert DATA_DIR is not None
    questions = read_json_lines(DATA_DIR / f"BFCL_v3_{category}.json")
    answers = read_json_lines(DATA_DIR / "possible_answer" / f"BFCL_v3_{category}.json")
    assert [q["id"] for q in questions] == [a["id"] for a in answers]
    return json.dumps([[q, a["ground_truth"]] for q, a in zip(questions, answers)])


def load_category(category: str) -> list[tuple[dict[str, Any], list[list[str]]]]:
    return [(entry, truth) for entry, truth in json.loads(_category_json(category))]


def load_entry(entry_id: str) -> tuple[dict[str, Any], list[list[str]]]:
    category = entry_id.rsplit("_", 1)[0]
    return next(pair for pair in load_category(category) if pair[0]["id"] == entry_id)


def keyword_call(entry: dict[str, Any], call_src: str) -> tuple[str, dict[str, Any]]:
    """A ground-truth call as (name, kwargs): parsed by the sandbox, positionals bound by name."""
    call = parse_call_source(call_src)
    for class_name in reversed(entry["involved_classes"]):  # later class wins, as official
        module = importlib.import_module(
            multi_turn_exec._SOURCE_PACKAGE + "." + CLASS_MODULES[class_name]
        )
        method = getattr(getattr(module, class_name), call.name, None)
        if method is not None:
            bound = inspect.signature(method).bind(None, *call.args, **call.kwargs)
            arguments = dict(bound.arguments)
            del arguments["self"]
            return call.name, arguments
    raise KeyError(call.name)


def oracle_steps(
    entry: dict[str, Any], truth: list[list[str]]
) -> list[list[list[tuple[str, dict]]]]:
    """One step per turn holding the turn's ground-truth calls; no step for GT-empty turns."""
    return [[[keyword_call(entry, call) for call in turn]] if turn else [] for turn in truth]


def check(entry: dict[str, Any], steps: Any, truth: list[list[str]]) -> CheckResult:
    return check_multi_turn(entry, steps, truth, long_context=uses_long_context(entry))


def run_oracle(categories: tuple[str, ...] = CATEGORIES) -> dict[str, tuple[int, int, float]]:
    """Ground truth fed as the model's steps: {category: (valid, total, seconds)}.

    The full run (800 entries) takes about a second; benchmark scripts may call this too.
    """
    scores = {}
    for category in categories:
        pairs = load_category(category)
        start = time.perf_counter()
        valid = sum(check(entry, oracle_steps(entry, truth), truth).valid for entry, truth in pairs)
        scores[category] = (valid, len(pairs), time.perf_counter() - start)
    return scores


def synthetic_entry(classes: tuple[str, ...] = ("GorillaFileSystem",)) -> dict:
    """A tiny entry over a two-file workspace, for rules the real data do not isolate."""
    config = {
        "GorillaFileSystem": {
            "root": {
                "workspace": {
                    "type": "directory",
                    "contents": {
                        "a.txt": {"type": "file", "content": "alpha"},
                        "docs": {"type": "directory", "contents": {}},
                    },
                }
            }
        }
    }
    return {
        "id": "multi_turn_base_9999",
        "question": [[{"role": "user", "content": "Tidy up the workspace."}]],
        "initial_config": {name: config.get(name, {}) for name in classes},
        "involved_classes": list(classes),
    }


def fc_reply(calls: list[tuple[str, dict]], step: int) -> Response:
    tool_calls = [
        ToolCall(name=name, arguments=json.dumps(kwargs), id=f"call_{step}_{i}")
        for i, (name, kwargs) in enumerate(calls)
    ]
    return Response(tool_calls=tool_calls, finish_reason="tool_calls")


def prompt_reply(calls: list[tuple[str, dict]]) -> Response:
    texts = [
        f"{name}({', '.join(f'{k}={v!r}' for k, v in kwargs.items())})" for name, kwargs in calls
    ]
    return Response(text="[" + ", ".join(texts) + "]")


class ScriptedChat:
    """A plain async callable replaying replies in order and recording each request."""

    def __init__(self, replies: list[Response]) -> None:
        self.replies = deque(replies)
        self.requests: list[tuple[list[dict], list[dict] | None]] = []

    async def __call__(self, messages: list[dict], tools: list[dict] | None) -> Response:
        self.requests.append((copy.deepcopy(messages), copy.deepcopy(tools)))
        return self.replies.popleft()


def replay_chat(entry: dict, truth: list[list[str]], mode: str) -> ScriptedChat:
    """Per turn: one reply with all ground-truth calls (if any), then a plain-text reply."""
    replies = []
    for turn in truth:
        if turn:
            calls = [keyword_call(entry, call) for call in turn]
            replies.append(fc_reply(calls, len(replies)) if mode == "fc" else prompt_reply(calls))
        replies.append(Response(text="Done."))
    return ScriptedChat(replies)


def converse(entry: dict, chat: Any, mode: str) -> multi_turn.MultiTurnTranscript:
    assert DATA_DIR is not None
    functions, held_out = build_functions(entry, DATA_DIR / "multi_turn_func_doc")
    return asyncio.run(
        run_conversation(
            entry, functions, held_out, chat, mode=mode, long_context=uses_long_context(entry)
        )
    )


def tool_names(tools: list[dict] | None) -> set[str]:
    return {tool["function"]["name"] for tool in tools or []}


# ---------------------------------------------------------------- oracle (spec 4.6, 6)


@needs_data
def test_ground_truth_as_model_output_scores_200_of_200_in_every_category():
    scores = run_oracle()
    assert {category: score[:2] for category, score in scores.items()} == {
        category: (200, 200) for category in CATEGORIES
    }
    assert sum(seconds for _, _, seconds in scores.values()) < 20


@needs_data
def test_category_counts_and_turn_shapes_match_the_spec():
    for category in CATEGORIES:
        pairs = load_category(category)
        assert len(pairs) == 200
        uneven = [entry["id"] for entry, truth in pairs if len(entry["question"]) != len(truth)]
        assert uneven == (["multi_turn_base_154"] if category == "multi_turn_base" else [])
    empty_turns = {c: sum(t == [] for _, gt in load_category(c) for t in gt) for c in CATEGORIES}
    assert empty_turns == {
        "multi_turn_base": 3,
        "multi_turn_miss_func": 203,
        "multi_turn_miss_param": 203,
        "multi_turn_long_context": 3,
    }


@needs_data
@pytest.mark.parametrize("mode", ["fc", "prompt"])
def test_base_154_cannot_pass_a_real_conversation(mode):
    """5 question turns, 6 answer turns: every transcript is force-terminated (official)."""
    entry, truth = load_entry("multi_turn_base_154")
    assert (len(entry["question"]), len(truth)) == (5, 6)
    transcript = converse(entry, replay_chat(entry, truth[:5], mode), mode)
    assert len(transcript.steps) == 5 and not transcript.force_quit
    assert check(entry, transcript.steps, truth).error_type == FORCE_TERMINATED


# ---------------------------------------------------------------- preparation (4.1)


@needs_data
def test_build_functions_concatenates_class_docs_in_involved_order():
    entry, _ = load_entry("multi_turn_base_0")
    functions, held_out = build_functions(entry, DATA_DIR / "multi_turn_func_doc")
    docs = DATA_DIR / "multi_turn_func_doc"
    expected = read_json_lines(docs / "posting_api.json") + read_json_lines(
        docs / "gorilla_file_system.json"
    )
    assert entry["involved_classes"] == ["TwitterAPI", "GorillaFileSystem"]
    assert functions == expected
    assert held_out == {}


@needs_data
def test_build_functions_moves_missed_docs_to_their_turn():
    entry, truth = load_entry("multi_turn_miss_func_0")
    functions, held_out = build_functions(entry, DATA_DIR / "multi_turn_func_doc")
    assert entry["missed_function"] == {"3": ["sort"]}
    assert [doc["name"] for doc in held_out["3"]] == ["sort"]
    assert "sort" not in {doc["name"] for doc in functions}
    assert entry["question"][3] == [] and truth[2] == []  # asked before it exists, GT empty


def test_build_functions_skips_a_missed_name_without_doc(tmp_path):
    (tmp_path / "math_api.json").write_text('{"name": "mean", "description": "d"}\n')
    entry = {"involved_classes": ["MathAPI"], "missed_function": {"1": ["mean", "nope"]}}
    functions, held_out = build_functions(entry, tmp_path)
    assert functions == [] and held_out == {"1": [{"name": "mean", "description": "d"}]}


def test_long_context_is_chosen_by_category_substring():
    assert uses_long_context({"id": "multi_turn_long_context_3"})
    assert not uses_long_context({"id": "multi_turn_base_3"})
    assert not uses_long_context({"id": "multi_turn_miss_param_12"})


# ---------------------------------------------------------------- conversation loop (4.2)


@needs_data
@pytest.mark.parametrize("mode", ["fc", "prompt"])
@pytest.mark.parametrize("category", CATEGORIES)
def test_replayed_ground_truth_conversation_checks_valid(category, mode):
    for entry, truth in load_category(category)[:3]:
        chat = replay_chat(entry, truth, mode)
        transcript = converse(entry, chat, mode)
        assert not chat.replies, "every scripted reply was used"
        assert not transcript.force_quit
        assert len(transcript.steps) == len(truth)
        assert [len(turn) for turn in transcript.steps] == [1 if t else 0 for t in truth]
        assert check(entry, transcript.steps, truth) == CheckResult(True), entry["id"]


@needs_data
def test_fc_messages_follow_the_openai_tool_protocol():
    entry, truth = load_entry("multi_turn_base_0")
    chat = replay_chat(entry, truth, "fc")
    transcript = converse(entry, chat, "fc")
    messages, tools = chat.requests[1]  # second request: after the first tool step
    assert messages[0] == entry["question"][0][0]
    assistant, *tool_messages = messages[1:]
    assert assistant["role"] == "assistant" and len(assistant["tool_calls"]) == 3
    assert [m["tool_call_id"] for m in tool_messages] == [c["id"] for c in assistant["tool_calls"]]
    assert all(m["role"] == "tool" and isinstance(m["content"], str) for m in tool_messages)
    assert json.loads(tool_messages[0]["content"]) == {"current_working_directory": "document"}
    assert tool_names(tools) == tool_names(chat.requests[0][1])
    assert transcript.raw_steps[0][0] == [
        {"cd": '{"folder": "document"}'},
        {"mkdir": '{"dir_name": "temp"}'},
        {"mv": '{"source": "final_report.pdf", "destination": "temp"}'},
    ]
    assert transcript.raw_steps[0][1] == "Done."
    assert transcript.messages == messages_after_all(chat, transcript)


def messages_after_all(chat: ScriptedChat, transcript: multi_turn.MultiTurnTranscript) -> list:
    """The last request's history plus the final assistant reply."""
    last_messages, _ = chat.requests[-1]
    return [*last_messages, transcript.responses[-1].message()]


@needs_data
def test_prompt_mode_feeds_results_back_as_one_user_message():
    entry, truth = load_entry("multi_turn_base_0")
    chat = replay_chat(entry, truth, "prompt")
    transcript = converse(entry, chat, "prompt")
    first_messages, first_tools = chat.requests[0]
    assert first_tools is None
    assert first_messages[0]["role"] == "system" and "cd" in first_messages[0]["content"]
    messages, _ = chat.requests[1]
    feedback = messages[-1]
    assert feedback["role"] == "user"
    expected = [
        {
            "role": "tool",
            "name": "cd(folder='document')",
            "content": '{"current_working_directory": "document"}',
        },
        {"role": "tool", "name": "mkdir(dir_name='temp')", "content": "None"},
        {
            "role": "tool",
            "name": "mv(source='final_report.pdf', destination='temp')",
            "content": "{\"result\": \"'final_report.pdf' moved to 'temp/final_report.pdf'\"}",
        },
    ]
    assert feedback["content"] == repr(expected)
    first_reply = prompt_reply([keyword_call(entry, call) for call in truth[0]]).text
    assert transcript.raw_steps[0] == [first_reply, "Done."]


def test_prompt_call_text_matches_the_official_execution_list():
    assert prompt_call_text("f", {"a": 1, "b": "x", "c": [1, -2.5]}) == "f(a=1, b='x', c=[1, -2.5])"
    assert prompt_call_text("f", {"d": {"k": "v"}}) == "f(d={'k': 'v'})"
    assert prompt_call_text("f", {"d": {"g": {"x": 1}}}) == "f(d=g(x=1))"  # dict of dicts
    with pytest.raises(multi_turn.DecodeError):  # official IndexError: decoding fails
        prompt_call_text("f", {"d": {}})


@needs_data
@pytest.mark.parametrize("mode", ["fc", "prompt"])
def test_miss_func_announces_held_out_docs_at_their_turn(mode):
    entry, truth = load_entry("multi_turn_miss_func_0")
    _, held_out = build_functions(entry, DATA_DIR / "multi_turn_func_doc")
    chat = replay_chat(entry, truth, mode)
    transcript = converse(entry, chat, mode)
    assert check(entry, transcript.steps, truth).valid
    turn_starts = [i for i, (m, _) in enumerate(chat.requests) if m[-1]["role"] == "user"]
    held_out_request = next(
        i for i in turn_starts if ADDITIONAL_FUNCTION_PROMPT in chat.requests[i][0][-1]["content"]
    )
    announcement = chat.requests[held_out_request][0][-1]["content"]
    before = chat.requests[held_out_request - 1][1]
    after = chat.requests[held_out_request][1]
    if mode == "fc":
        assert announcement == ADDITIONAL_FUNCTION_PROMPT
        assert "sort" not in tool_names(before) and "sort" in tool_names(after)
        assert tool_names(after) - tool_names(before) == {"sort"}
    else:
        assert announcement == f"{held_out['3']}\n{ADDITIONAL_FUNCTION_PROMPT}"
        assert before is None and after is None
    assert len([m for m in transcript.messages if m.get("content") == announcement]) == 1


@needs_data
def test_fc_recompile_repeats_the_language_hint_as_official():
    """`_compile_tools` appends the hint in place, so earlier docs get it again (4.2 quirk)."""
    entry, truth = load_entry("multi_turn_miss_func_0")
    chat = replay_chat(entry, truth, "fc")
    converse(entry, chat, "fc")
    first_tools = {t["function"]["name"]: t["function"] for t in chat.requests[0][1]}
    last_tools = {t["function"]["name"]: t["function"] for t in chat.requests[-1][1]}
    assert first_tools["cd"]["description"].count(PYTHON_HINT) == 1
    assert last_tools["cd"]["description"].count(PYTHON_HINT) == 2
    assert last_tools["sort"]["description"].count(PYTHON_HINT) == 1


@needs_data
def test_long_context_backends_load_the_filler():
    entry, truth = load_entry("multi_turn_long_context_0")
    assert uses_long_context(entry)
    transcript = converse(entry, replay_chat(entry, truth, "fc"), "fc")
    assert check(entry, transcript.steps, truth).valid
    functions, held_out = build_functions(entry, DATA_DIR / "multi_turn_func_doc")
    short = asyncio.run(
        run_conversation(
            entry,
            functions,
            held_out,
            replay_chat(entry, truth, "fc"),
            mode="fc",
            long_context=False,
        )
    )
    long_results = [m["content"] for m in transcript.messages if m["role"] == "tool"]
    short_results = [m["content"] for m in short.messages if m["role"] == "tool"]
    assert sum(map(len, long_results)) > 2 * sum(map(len, short_results))


@needs_data
def test_step_cap_force_quits_the_whole_entry():
    entry, truth = load_entry("multi_turn_base_0")
    chat = ScriptedChat([fc_reply([("pwd", {})], i) for i in range(100)])
    transcript = converse(entry, chat, "fc")
    assert transcript.force_quit
    assert len(chat.requests) == MAXIMUM_STEP_LIMIT + 1  # 21 executed steps, then quit
    assert [len(turn) for turn in transcript.steps] == [MAXIMUM_STEP_LIMIT + 1]
    result = check(entry, transcript.steps, truth)
    assert result.error_type == FORCE_TERMINATED and not result.valid


@needs_data
def test_step_cap_in_the_last_turn_goes_unnoticed_as_official():
    entry, truth = load_entry("multi_turn_base_0")
    replies = []
    for turn in truth[:-1]:
        replies += [
            fc_reply([keyword_call(entry, c) for c in turn], len(replies)),
            Response(text="ok"),
        ]
    replies.append(fc_reply([keyword_call(entry, c) for c in truth[-1]], len(replies)))
    replies += [fc_reply([("pwd", {})], 100 + i) for i in range(MAXIMUM_STEP_LIMIT)]
    transcript = converse(entry, ScriptedChat(replies), "fc")
    assert transcript.force_quit and len(transcript.steps) == len(truth)
    assert check(entry, transcript.steps, truth).valid


@needs_data
def test_text_reply_or_bad_json_ends_the_turn_without_a_step():
    entry, truth = load_entry("multi_turn_base_0")
    bad_json = Response(tool_calls=[ToolCall(name="cd", arguments="{not json", id="x")])
    not_object = Response(tool_calls=[ToolCall(name="cd", arguments="[1]", id="y")])
    replies = [bad_json, not_object, Response(text="I would rather chat.")]
    replies += [Response(text="") for _ in truth[3:]]
    transcript = converse(entry, ScriptedChat(replies), "fc")
    assert transcript.steps == [[] for _ in truth]
    assert transcript.raw_steps[0] == [[{"cd": "{not json"}]]
    assert check(entry, transcript.steps, truth).error_type == EMPTY_TURN


@needs_data
@pytest.mark.parametrize("mode", ["fc", "prompt"])
def test_conversation_leaves_its_inputs_untouched(mode):
    entry, truth = load_entry("multi_turn_miss_func_0")
    functions, held_out = build_functions(entry, DATA_DIR / "multi_turn_func_doc")
    before = copy.deepcopy((entry, functions, held_out))
    chat = replay_chat(entry, truth, mode)
    asyncio.run(run_conversation(entry, functions, held_out, chat, mode=mode, long_context=False))
    assert (entry, functions, held_out) == before


def test_service_errors_propagate():
    async def failing_chat(messages, tools):
        raise ConnectionError("service down")

    entry = synthetic_entry()
    with pytest.raises(ConnectionError):
        asyncio.run(
            run_conversation(entry, [], {}, failing_chat, mode="prompt", long_context=False)
        )


# ---------------------------------------------------------------- checker rules (4.5)


@needs_data
def test_skipping_a_state_changing_call_is_a_state_mismatch():
    entry, truth = load_entry("multi_turn_base_0")
    steps = oracle_steps(entry, truth)
    assert steps[0][0][1] == ("mkdir", {"dir_name": "temp"})
    del steps[0][0][1]
    result = check(entry, steps, truth)
    assert (result.valid, result.error_type) == (False, STATE_MISMATCH)
    assert (
        result.error.startswith("turn 0: GorillaFileSystem state differs")
        and "root" in result.error
    )


@needs_data
def test_skipping_a_read_only_call_is_a_response_mismatch():
    entry, truth = load_entry("multi_turn_base_0")
    steps = oracle_steps(entry, truth)
    assert steps[1][0][1][0] == "grep"
    del steps[1][0][1]
    result = check(entry, steps, truth)
    assert (result.valid, result.error_type) == (False, RESPONSE_MISMATCH)
    assert "\n" not in result.error


@needs_data
def test_a_wrong_argument_fails():
    entry, truth = load_entry("multi_turn_base_0")
    steps = oracle_steps(entry, truth)
    steps[1][0][1][1]["pattern"] = "no such text"  # grep reads only: its result differs
    assert check(entry, steps, truth).error_type == RESPONSE_MISMATCH
    steps = oracle_steps(entry, truth)
    steps[0][0][1][1]["dir_name"] = "tmp"  # mkdir changes the tree
    assert check(entry, steps, truth).error_type == STATE_MISMATCH


@needs_data
def test_an_empty_turn_fails_when_the_ground_truth_calls():
    entry, truth = load_entry("multi_turn_base_0")
    steps = oracle_steps(entry, truth)
    steps[2] = []
    result = check(entry, steps, truth)
    assert (result.valid, result.error_type) == (False, EMPTY_TURN)
    steps[2] = [[]]  # an empty decoded step is dropped, as official
    assert check(entry, steps, truth).error_type == EMPTY_TURN


@needs_data
def test_a_wrong_turn_count_is_force_terminated():
    entry, truth = load_entry("multi_turn_base_0")
    steps = oracle_steps(entry, truth)
    for wrong in (steps[:-1], [*steps, []]):
        result = check(entry, wrong, truth)
        assert (result.valid, result.error_type) == (False, FORCE_TERMINATED)


@needs_data
def test_results_from_earlier_turns_count_for_later_ones():
    entry, truth = load_entry("multi_turn_base_0")
    steps = oracle_steps(entry, truth)
    steps[0][0] += steps[1][0]  # do turn 1's cd + grep already in turn 0
    steps[1] = [[("pwd", {})]]
    assert check(entry, steps, truth).valid


@needs_data
def test_calls_in_a_ground_truth_empty_turn_are_executed_not_judged():
    entry, truth = load_entry("multi_turn_miss_param_0")
    empty_turn = truth.index([])
    steps = oracle_steps(entry, truth)
    steps[empty_turn] = [[("pwd", {})]]  # harmless: not judged
    assert check(entry, steps, truth).valid
    steps[empty_turn] = [[("mkdir", {"dir_name": "stray"})]]  # changes state for later turns
    assert check(entry, steps, truth).error_type == STATE_MISMATCH


def test_response_check_is_a_multiset():
    entry = synthetic_entry()
    truth = [["pwd()", "pwd()"]]
    assert check(entry, [[[("pwd", {})]]], truth).error_type == RESPONSE_MISMATCH
    assert check(entry, [[[("pwd", {})], [("pwd", {})]]], truth).valid
    assert check(entry, [[[("ls", {}), ("pwd", {}), ("pwd", {})]]], truth).valid


def test_private_state_is_not_compared():
    entry = synthetic_entry()
    truth = [["pwd()"]]
    assert check(
        entry, [[[("cd", {"folder": "docs"}), ("cd", {"folder": ".."}), ("pwd", {})]]], truth
    ).valid
    # cd changes only the private `_current_dir`, so the state check passes; pwd differs.
    result = check(entry, [[[("cd", {"folder": "docs"}), ("pwd", {})]]], truth)
    assert result.error_type == RESPONSE_MISMATCH


# ---------------------------------------------------------------- executor (4.4)


def test_ground_truth_source_with_positional_arguments_runs():
    backends = Backends.for_entry(synthetic_entry(), long_context=False)
    assert backends.execute_source("cat('a.txt')") == '{"file_content": "alpha"}'
    assert backends.execute_source("cat(file_name='a.txt')") == '{"file_content": "alpha"}'


def test_result_conversion_is_official():
    backends = Backends.for_entry(synthetic_entry(("MathAPI",)), long_context=False)
    assert backends.execute_source("mean(numbers=[1, 2, 3])") == '{"result": 2.0}'
    # A dict that JSON cannot hold falls back to str(); an exception becomes error text.
    assert (
        backends.execute_source("square_root(number=2, precision=5)")
        == "{'result': Decimal('1.4142')}"
    )
    assert backends.execute_source("mean(numbers=[])").startswith("{")
    assert backends.execute_source("mean(wrong=1)") == (
        "Error during execution: MathAPI.mean() got an unexpected keyword argument 'wrong'"
    )
    assert multi_turn_exec.result_text(None) == "None"
    assert multi_turn_exec.result_text(["a", 1]) == "['a', 1]"


def test_structured_calls_go_through_the_official_call_text():
    backends = Backends.for_entry(synthetic_entry(), long_context=False)
    assert multi_turn_exec.render_call_source("cd", {"folder": "docs", "x": [1, -2.0]}) == (
        "cd(folder='docs',x=[1, -2.0])"
    )
    # Values the official text cannot carry fail as the official `eval` would.
    assert backends.execute([("cd", {"folder": float("nan")})]) == [
        "Error during execution: arguments of cd must be literals"
    ]
    assert backends.execute([("cd", {"a b": 1})])[0].startswith(
        "Error during execution: invalid syntax"
    )


def test_math_api_precision_changes_do_not_leak():
    backends = Backends.for_entry(synthetic_entry(("MathAPI",)), long_context=False)
    import mpmath

    precision, dps = decimal.getcontext().prec, mpmath.mp.dps
    backends.execute_source("square_root(number=2, precision=3)")
    result = backends.execute_source("logarithm(value=10, base=2, precision=40)")
    # The result is converted before the precision is restored, so it keeps its 40 digits.
    assert result == "{'result': mpf('3.321928094887362347870319429489390175864858')}"
    assert (decimal.getcontext().prec, mpmath.mp.dps) == (precision, dps)


def test_later_class_wins_on_duplicate_method_names(monkeypatch):
    module = importlib.import_module(multi_turn_exec._SOURCE_PACKAGE + ".ticket_api")
    monkeypatch.setattr(module.TicketAPI, "pwd", lambda self: "ticket pwd", raising=False)
    monkeypatch.setattr(multi_turn_exec, "_PUBLIC_METHOD_NAMES", {})  # names read per class
    entry = synthetic_entry(("GorillaFileSystem", "TicketAPI"))
    assert Backends.for_entry(entry, long_context=False).execute_source("pwd()") == "ticket pwd"
    entry = synthetic_entry(("TicketAPI", "GorillaFileSystem"))
    assert Backends.for_entry(entry, long_context=False).execute_source("pwd()") == (
        '{"current_working_directory": "/workspace"}'
    )


def test_each_class_offers_the_public_methods_of_its_instance():
    """The method names read once per class are what `inspect.getmembers` finds on every
    instance (the official name → instance mapping), for the first instance and later ones."""
    for class_name in CLASS_MODULES:
        for _ in range(2):
            backends = Backends.for_entry(synthetic_entry((class_name,)), long_context=False)
            instance = backends.instances[class_name]
            members = inspect.getmembers(instance, predicate=inspect.ismethod)
            expected = {name: method for name, method in members if not name.startswith("_")}
            assert backends._methods == expected
            assert all(method.__self__ is instance for method in backends._methods.values())


def test_held_out_functions_are_callable_before_announced():
    """The executor maps every public method, documented to the model or not (official)."""
    entry = synthetic_entry()
    assert check(entry, [[[("sort", {"file_name": "a.txt"})]]], [["sort(file_name='a.txt')"]]).valid


# ---------------------------------------------------------------- hostile model (section 6)

HOSTILE_SOURCES = [
    "__import__('os').system('touch {sentinel}')",
    "open('/etc/passwd')",
    "open(file='{sentinel}', mode='w')",
    "eval(\"__import__('os').system('touch {sentinel}')\")",
    "exec('import os')",
    "_load_scenario({{}})",
    "_current_dir()",
    "__init__()",
    "__class__()",
    "ls.__globals__['os']",
    "cd.__func__.__globals__['subprocess'].run(['touch', '{sentinel}'])",
    "cd(folder=__import__('os').system('touch {sentinel}'))",
    "cd(folder=(lambda: __import__('os').system('touch {sentinel}'))())",
    "cd(folder=lambda: 1)",
    "cd(folder=pwd())",
    "cd(*['docs'])",
    "cd(**{{'folder': 'docs'}})",
    "cd(folder='docs'); __import__('os').system('touch {sentinel}')",
    "[cd(folder='docs') for _ in range(3)]",
    'cd(folder=f\'{{__import__("os").system("touch {sentinel}")}}\')',
    "getattr(cd, '__globals__')",
    "mkdir(dir_name='x' * 10**9)",
    "(1)(folder='docs')",
    "import os",
    "cd(folder=" + "[" * 5000 + "]" * 5000 + ")",
]

BLOCKED_SOURCES = [
    "kill()",
    "exit(0)",
    "quit()",
    "remove(path='a.txt')",
    "unlink('a.txt')",
    "popen(cmd='ls')",
    "Popen(args=['ls'])",
    "run(cmd='touch x')",
    "run(__import__('os').system('touch {sentinel}'))",
]


@pytest.fixture
def tripwires(tmp_path, monkeypatch):
    """A sentinel path, and os/subprocess entry points that record any use."""
    used: list[str] = []
    for owner, name in ((os, "system"), (os, "popen"), (subprocess, "run"), (subprocess, "Popen")):
        monkeypatch.setattr(owner, name, lambda *a, _n=name, **k: used.append(_n))
    Backends.for_entry(synthetic_entry(tuple(CLASS_MODULES)), long_context=False)
    modules_before = set(sys.modules)
    sentinel = tmp_path / "pwned"
    yield sentinel, used
    assert not sentinel.exists()
    assert used == []
    assert set(sys.modules) == modules_before


def fresh_backends() -> Backends:
    return Backends.for_entry(synthetic_entry(), long_context=False)


def state_of(backends: Backends) -> dict:
    fs = backends.instances["GorillaFileSystem"]
    return {"root": copy.deepcopy(fs.root), "cwd": fs._current_dir.name}


@pytest.mark.parametrize("template", HOSTILE_SOURCES)
def test_hostile_source_returns_error_text_and_changes_nothing(template, tripwires):
    sentinel, _ = tripwires
    backends = fresh_backends()
    before = state_of(backends)
    result = backends.execute_source(template.format(sentinel=sentinel))
    assert result.startswith("Error during execution: ")
    assert state_of(backends) == before


@pytest.mark.parametrize("template", BLOCKED_SOURCES)
def test_blocklisted_names_get_the_official_refusal(template, tripwires):
    sentinel, _ = tripwires
    name = template.split("(")[0]
    result = fresh_backends().execute_source(template.format(sentinel=sentinel))
    assert result == f"Error during execution: Function call {name} is not allowed."


def test_unknown_names_read_as_the_official_name_error():
    assert fresh_backends().execute_source("print(x=1)") == (
        "Error during execution: name 'print' is not defined"
    )


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("__import__", {"name": "os"}),
        ("os.system", {"command": "touch {sentinel}"}),
        ("eval", {"source": "__import__('os').system('touch {sentinel}')"}),
        ("_load_scenario", {"scenario": {}}),
        ("__class__", {}),
        ("cd(folder=__import__('os').system('touch {sentinel}'))#", {}),
        ("cd", {"folder=__import__('os').system('touch {sentinel}'),x": 1}),
        ("cd", {"folder": "x'); __import__('os').system('touch {sentinel}'); ('"}),
        ("kill", {}),
    ],
)
def test_hostile_structured_calls_change_nothing(name, kwargs, tripwires):
    sentinel, _ = tripwires
    backends = fresh_backends()
    before = state_of(backends)
    kwargs = {
        k.format(sentinel=sentinel): v.format(sentinel=sentinel) if isinstance(v, str) else v
        for k, v in kwargs.items()
    }
    [result] = backends.execute([(name.format(sentinel=sentinel), kwargs)])
    assert result.startswith(("Error during execution: ", '{"error"'))
    assert state_of(backends) == before


@pytest.mark.parametrize("mode", ["fc", "prompt"])
def test_hostile_model_in_a_conversation_and_in_the_checker(mode, tripwires):
    sentinel, _ = tripwires
    hostile = [
        ("__import__", {"name": "os"}),
        ("system", {"command": f"touch {sentinel}"}),
        ("kill", {}),
        ("cd", {"folder": f"x'); __import__('os').system('touch {sentinel}'); ('"}),
    ]
    replies = [fc_reply(hostile, 0) if mode == "fc" else prompt_reply(hostile)]
    if mode == "prompt":  # attribute chains, positional args, nested calls: data at most
        replies.append(
            Response(
                text=f"[__import__('os').system('touch {sentinel}'), eval(s='1'), "
                "cd(folder=pwd(x=1)), os.system(command='id')]"
            )
        )
    replies.append(Response(text="done"))
    entry = synthetic_entry()
    chat = ScriptedChat(replies)
    transcript = asyncio.run(run_conversation(entry, [], {}, chat, mode=mode, long_context=False))
    assert not chat.replies
    fed_back = json.dumps(transcript.messages)
    assert "Function call kill is not allowed." in fed_back
    assert "name '__import__' is not defined" in fed_back
    truth = [[f"__import__('os').system('touch {sentinel}')", "kill()", "pwd()"]]
    assert check(entry, transcript.steps, truth).error_type in (RESPONSE_MISMATCH, EMPTY_TURN)


# ---------------------------------------------------------------- isolation (section 6)


PLAIN_DATA = (dict, list, set, frozenset, tuple, str, bytes, int, float)


MEMO_TABLES = {"_FIRST_COMPILES", "_PUBLIC_METHOD_NAMES"}
"""Module tables of results made once and shared by later samples."""


def module_data(module: Any) -> dict[str, Any]:
    """Deep copies of a module's plain data values (no modules, functions, classes or aliases)."""
    return {
        name: copy.deepcopy(value)
        for name, value in vars(module).items()
        if not name.startswith("__") and isinstance(value, PLAIN_DATA)
    }


@needs_data
def test_scores_do_not_depend_on_order_or_repetition():
    a_entry, a_truth = load_entry("multi_turn_long_context_151")
    b_entry, b_truth = load_entry("multi_turn_base_0")
    a_steps, b_steps = oracle_steps(a_entry, a_truth), oracle_steps(b_entry, b_truth)
    broken = copy.deepcopy(a_steps)
    del broken[0][0][2]  # no booking
    runs = []
    for order in ("ab", "ba", "aa"):
        results = []
        for key in order:
            if key == "a":
                results += [check(a_entry, a_steps, a_truth), check(a_entry, broken, a_truth)]
            else:
                results.append(check(b_entry, b_steps, b_truth))
        runs.append(results)
    assert runs[0][:2] == runs[1][1:] == runs[2][:2] == runs[2][2:]
    assert runs[0][0].valid and not runs[0][1].valid


@needs_data
@pytest.mark.parametrize("mode", ["fc", "prompt"])
def test_the_same_conversation_twice_gives_the_same_transcript(mode):
    entry, truth = load_entry("multi_turn_long_context_151")
    first = converse(entry, replay_chat(entry, truth, mode), mode)
    second = converse(entry, replay_chat(entry, truth, mode), mode)
    assert first.messages == second.messages and first.steps == second.steps


def test_long_context_travel_state_is_not_shared_with_module_data():
    """TravelAPI stores long_context.CREDIT_CARD_EXTENSION cards by reference (official)."""
    long_context = importlib.import_module(multi_turn_exec._SOURCE_PACKAGE + ".long_context")
    cards_before = copy.deepcopy(long_context.CREDIT_CARD_EXTENSION)
    card_id, card = max(long_context.CREDIT_CARD_EXTENSION.items(), key=lambda kv: kv[1]["balance"])
    entry = {
        "id": "multi_turn_long_context_9999",
        "initial_config": {"TravelAPI": {"access_token": "tok", "budget_limit": 1.0}},
        "involved_classes": ["TravelAPI"],
    }
    booking = (
        f"book_flight(access_token='tok', card_id='{card_id}', travel_date='2024-11-10', "
        "travel_from='SFO', travel_to='LAX', travel_class='economy')"
    )
    results = []
    for _ in range(2):
        backends = Backends.for_entry(entry, long_context=True)
        results.append(backends.execute_source(booking))
        paid = backends.instances["TravelAPI"].credit_card_list[card_id]["balance"]
        assert paid < card["balance"]
    assert '"booking_status": true' in results[0] and results[0] == results[1]
    assert cards_before == long_context.CREDIT_CARD_EXTENSION


@needs_data
def test_no_module_data_is_mutated_by_scoring():
    modules = [multi_turn, multi_turn_exec] + [
        importlib.import_module(f"{multi_turn_exec._SOURCE_PACKAGE}.{name}")
        for name in (*CLASS_MODULES.values(), "long_context")
    ]

    def score(count: int) -> None:
        for category in CATEGORIES:
            for entry, truth in load_category(category)[:count]:
                check(entry, oracle_steps(entry, truth), truth)
                asyncio.run(
                    run_conversation(
                        entry,
                        *build_functions(entry, DATA_DIR / "multi_turn_func_doc"),
                        replay_chat(entry, truth, "fc"),
                        mode="fc",
                        long_context=uses_long_context(entry),
                    )
                )

    score(1)  # the memo tables hold entries that later samples share
    before = [module_data(module) for module in modules]
    score(20)
    after = [module_data(module) for module in modules]
    for module, old, new in zip(modules, before, after):
        for memo in MEMO_TABLES & old.keys():  # they may grow; what they hold never changes
            old_memo, new_memo = old.pop(memo), new.pop(memo)
            assert old_memo and {key: new_memo[key] for key in old_memo} == old_memo, memo
        if module.__name__.endswith(".long_context"):
            # vehicle_control.get_outside_temperature_from_google writes this dict before
            # returning it (official); its old value is never read.
            old.pop("LONG_WEATHER_EXTENSION"), new.pop("LONG_WEATHER_EXTENSION")
        assert old == new, module.__name__
