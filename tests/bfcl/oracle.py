"""Ground-truth-derived answers for BFCL v3, shared by the checker oracle tests and the HTTP
oracle (a scripted server that answers every sample with its ground truth).

The answer derived from an entry's ground truth takes, per parameter, the first allowed value
that is not ``""`` (parameters allowing only ``""`` are left out; dict values are reduced the
same way one level down) and lists the calls in reversed GT order.  Java/JavaScript values are
written as source text, as a function-calling model sends them, and in prompt mode the whole
reply is Java/JavaScript call syntax.
"""

import asyncio
import hashlib
import json

from pytest_llmeval.benchmarks.base import SAMPLE_HEADER
from pytest_llmeval.benchmarks.bfcl_v3.benchmark import installed_data_dir
from pytest_llmeval.benchmarks.bfcl_v3.multi_turn import run_conversation, uses_long_context
from pytest_llmeval.benchmarks.bfcl_v3.multi_turn_exec import parse_call_source
from pytest_llmeval.records import Response, Sample, ToolCall
from tests.scripted_server import Reply

DATA_DIR = installed_data_dir()
MISSING = object()


def first_allowed(options: list):
    return next((option for option in options if option != ""), MISSING)


def reduced_dict(allowed: dict) -> dict:
    return {
        key: value
        for key, options in allowed.items()
        if (value := first_allowed(options)) is not MISSING
    }


def derived_value(options: list):
    value = first_allowed(options)
    if isinstance(value, dict):
        return reduced_dict(value)
    if isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
        return [reduced_dict(item) for item in value]
    return value


def derived_calls(ground_truth: list[dict]) -> list[dict]:
    """The GT-derived answer, calls in reversed GT order."""
    calls = []
    for gt_call in reversed(ground_truth):
        ((name, allowed),) = gt_call.items()
        arguments = {
            param: value
            for param, options in allowed.items()
            if (value := derived_value(options)) is not MISSING
        }
        calls.append({name: arguments})
    return calls


def as_prompt_text(calls: list[dict], value_text=repr) -> str:
    """``[f(a=1), g(b='x')]``, as a prompt-mode model would answer.

    Values are written with ``value_text``: Python reprs, or ``str`` for values that already
    are Java/JavaScript source text.
    """
    rendered = []
    for call in calls:
        ((name, arguments),) = call.items()
        rendered.append(
            f"{name}({', '.join(f'{key}={value_text(value)}' for key, value in arguments.items())})"
        )
    return "[" + ", ".join(rendered) + "]"


def with_underscore_names(calls: list[dict]) -> list[dict]:
    return [
        {name.replace(".", "_"): arguments for name, arguments in call.items()} for call in calls
    ]


def java_source(value, schema: dict) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value}L" if schema["type"] == "long" else str(value)
    if isinstance(value, float):
        return f"{value}f" if schema["type"] == "float" else repr(value)
    if isinstance(value, list):
        item_type = schema.get("items", {}).get("type", "any")
        items = ", ".join(java_item(item, item_type) for item in value)
        if schema["type"] == "Array":
            return f"new {item_type}[]{{{items}}}"
        return f"new ArrayList<>(Arrays.asList({items}))"
    puts = " ".join(f'put("{key}", {java_item(item, "any")});' for key, item in value.items())
    return f"new HashMap<String, Object>() {{{{ {puts} }}}}"


def java_item(value, item_type: str) -> str:
    return f'"{value}"' if isinstance(value, str) else java_source(value, {"type": item_type})


def js_source(value, schema: dict) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(js_item(item) for item in value) + "]"
    return "{" + ", ".join(f"{key}: {js_item(item)}" for key, item in value.items()) + "}"


def js_item(value) -> str:
    """A nested value; a str is quoted with ``'``, or ``"`` when it holds a ``'`` (valid JS)."""
    if not isinstance(value, str):
        return js_source(value, {"type": "any"})
    quote = '"' if "'" in value else "'"
    return f"{quote}{value}{quote}"


def string_literal(value: str) -> str:
    """A top-level str as a prompt-mode reply writes it: ``"text"``, which the official parsers
    read back as ``text`` (they strip the quotes without unescaping).  A value holding a ``"``
    is source code already (``new InetSocketAddress("192.168.1.10", 8080)``): written as is.
    """
    return value if '"' in value else f'"{value}"'


def source_text_calls(category: str, *, quote_strings: bool = False):
    """The GT-derived answer with each value written as Java / JavaScript source text.

    Top-level str values stay raw (FC mode: the argument JSON carries the text), or become
    :func:`string_literal` with ``quote_strings`` (prompt mode: the reply is source code).
    """
    render = java_source if category == "java" else js_source

    def value_text(value, schema: dict) -> str:
        if quote_strings and isinstance(value, str):
            return string_literal(value)
        return render(value, schema)

    def answer(ground_truth, docs):
        calls = []
        for call in derived_calls(ground_truth):
            ((name, arguments),) = call.items()
            doc = next((doc for doc in docs if doc["name"] == name), docs[0])
            schemas = doc["parameters"]["properties"]
            calls.append({name: {p: value_text(v, schemas[p]) for p, v in arguments.items()}})
        return calls

    return answer


def source_prompt_text(category: str, ground_truth: list[dict], docs: list[dict]) -> str:
    """The Java/JS GT-derived answer as a prompt-mode reply: ``[f(a="x", b=new int[]{1, 2})]``."""
    calls = source_text_calls(category, quote_strings=True)(ground_truth, docs)
    return as_prompt_text(calls, value_text=str)


# --- the HTTP oracle: one scripted reply per request a run will send ---


def request_key(tag: str, messages: list[dict], tools: list[dict] | None) -> str:
    """What identifies a request: the sample (the data holds identical requests that expect
    different answers), the whole conversation and the tool names offered."""
    names = sorted(tool["function"]["name"] for tool in tools or [])
    text = json.dumps([tag, messages, names], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def sample_tag(sample: Sample) -> str:
    """The X-LLMEval-Sample header of the sample's calls (--llm-sample-header)."""
    return f"{sample.dataset}/{sample.id}/r0"


def _reply(calls: list[tuple[str, dict]], mode: str) -> Reply:
    if mode == "fc":
        return Reply(
            text="",
            tool_calls=[
                {"name": name.replace(".", "_"), "arguments": json.dumps(kwargs)}
                for name, kwargs in calls
            ],
        )
    return Reply(text=as_prompt_text([{name: kwargs} for name, kwargs in calls]))


def single_turn_reply(sample: Sample, mode: str) -> Reply:
    """The ground truth as the model's answer (relevance: call or decline as required)."""
    docs = sample.meta["functions"]
    if "irrelevance" in sample.subset:
        return Reply(text="None of the given functions can answer this.")
    if sample.subset == "live_relevance":
        return _reply([(docs[0]["name"], {})], mode)
    if sample.subset in ("java", "javascript") and mode == "prompt":
        return Reply(text=source_prompt_text(sample.subset, sample.target, docs))
    if sample.subset in ("java", "javascript"):
        calls = source_text_calls(sample.subset)(sample.target, docs)
    else:
        calls = derived_calls(sample.target)
    return _reply([next(iter(call.items())) for call in calls], mode)


def _named_call(source: str, docs: list[dict]) -> tuple[str, dict]:
    """A GT call string (positional arguments allowed) as (name, keyword arguments)."""
    call = parse_call_source(source)
    doc = next(doc for doc in docs if doc["name"] == call.name)
    names = list(doc["parameters"]["properties"])
    return call.name, {**dict(zip(names, call.args)), **call.kwargs}


def multi_turn_replies(sample: Sample, mode: str) -> dict[str, Reply]:
    """Replay the conversation with the ground truth answering, recording each request's reply.

    Per turn the model makes the GT calls in one step, then answers in text (ending the turn).
    """
    entry, truth = sample.meta["entry"], sample.target
    docs = sample.meta["functions"] + [d for ds in sample.meta["held_out"].values() for d in ds]
    book: dict[str, Reply] = {}
    state = {"turn": 0, "called": False}

    async def chat(messages: list[dict], tools: list[dict] | None) -> Response:
        turn_calls = truth[state["turn"]] if state["turn"] < len(truth) else []
        if turn_calls and not state["called"]:
            reply = _reply([_named_call(src, docs) for src in turn_calls], mode)
            state["called"] = True
        else:
            reply = Reply(text="Done.")
            state["turn"] += 1
            state["called"] = False
        book[request_key(sample_tag(sample), messages, tools)] = reply
        return _as_response(reply)

    asyncio.run(
        run_conversation(
            entry,
            sample.meta["functions"],
            sample.meta["held_out"],
            chat,
            mode=mode,
            long_context=uses_long_context(entry),
        )
    )
    return book


def _as_response(reply: Reply) -> Response:
    """The Response the client builds from this reply (same tool-call ids as the server's)."""
    calls = [
        ToolCall(call["name"], call["arguments"], f"call_{i}")
        for i, call in enumerate(reply.tool_calls)
    ]
    return Response(text=reply.text or "", tool_calls=calls)


def oracle_book(samples: list[Sample], mode: str) -> dict[str, Reply]:
    book: dict[str, Reply] = {}
    for sample in samples:
        if sample.subset.startswith("multi_turn"):
            book.update(multi_turn_replies(sample, mode))
        else:
            key = request_key(sample_tag(sample), sample.messages, sample.tools)
            book[key] = single_turn_reply(sample, mode)
    return book


def oracle_handler(book: dict[str, Reply]):
    def handle(request: dict) -> Reply:
        tag = request["__headers__"].get(SAMPLE_HEADER.lower(), "")
        return book.get(
            request_key(tag, request["messages"], request.get("tools")),
            Reply(text="(the oracle has no answer for this request)"),
        )

    return handle
