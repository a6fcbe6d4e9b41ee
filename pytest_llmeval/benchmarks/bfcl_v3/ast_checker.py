"""BFCL v3 single-turn verdicts (spec 3.2-3.9), rule for rule as the official checker gives them.

Mirrors bfcl-eval 2025.8.6.2 ``eval_checker/ast_eval/ast_checker.py`` (with the Java/JS type
converters and ``eval_runner.py``'s decode / format / relevance steps), quirks included:
where a verdict here differs from the official one, this module is wrong.  ``error_type``
strings are the official ones.  The official checker crashes on a few inputs that the v3 data
never produce; each such place says what it does instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pytest_llmeval.benchmarks.bfcl_v3.decode import is_empty_output, is_function_calling_format

PYTHON_TYPES: dict[str, type] = {
    "string": str,
    "integer": int,
    "float": float,
    "boolean": bool,
    "array": list,
    "tuple": list,
    "dict": dict,
    "any": str,
}
"""Official ``PYTHON_TYPE_MAPPING``."""

JAVA_TYPES: dict[str, type] = {
    "byte": int,
    "short": int,
    "integer": int,
    "float": float,
    "double": float,
    "long": int,
    "boolean": bool,
    "char": str,
    "Array": list,
    "ArrayList": list,
    "Set": set,
    "HashMap": dict,
    "Hashtable": dict,
    "Queue": list,
    "Stack": list,
    "String": str,
    "any": str,
}
"""Official ``JAVA_TYPE_CONVERSION`` (constants/type_mappings.py)."""

JS_TYPES: dict[str, type] = {
    "String": str,
    "integer": int,
    "float": float,
    "Bigint": int,
    "Boolean": bool,
    "dict": dict,
    "array": list,
    "any": str,
}
"""Official ``JS_TYPE_CONVERSION`` (constants/type_mappings.py)."""

_PYTHON_ITEM_CHECKED = frozenset({"array", "tuple"})
_CONVERTED_ITEM_CHECKED = frozenset({"Array", "ArrayList", "array"})
_TYPES_BY_LANGUAGE = {"Python": PYTHON_TYPES, "Java": JAVA_TYPES, "JavaScript": JS_TYPES}
_LANGUAGE_TYPE_ERROR = {"Java": "type_error:java", "JavaScript": "type_error:js"}
_STANDARDIZE_IGNORED = re.compile(r"[ ,./\-_*^]")

WRONG_FUNC_NAME = "simple_function_checker:wrong_func_name"
MISSING_REQUIRED = "simple_function_checker:missing_required"
UNEXPECTED_PARAM = "simple_function_checker:unexpected_param"
MISSING_OPTIONAL = "simple_function_checker:missing_optional"
SIMPLE_WRONG_COUNT = "simple_function_checker:wrong_count"
MULTIPLE_WRONG_COUNT = "multiple_function_checker:wrong_count"
PARALLEL_WRONG_COUNT = "parallel_function_checker_no_order:wrong_count"
PARALLEL_NO_MATCH = "parallel_function_checker_no_order:cannot_find_match"
DECODER_FAILED = "ast_decoder:decoder_failed"
DECODER_WRONG_FORMAT = "ast_decoder:decoder_wrong_output_format"
IRRELEVANCE_DECODED = "irrelevance_error:decoder_success"
RELEVANCE_NOT_DECODED = "relevance_error:decoder_failed"


@dataclass(frozen=True)
class CheckResult:
    """A verdict: ``error_type`` is the official name, ``error`` a one-line reason."""

    valid: bool
    error_type: str = ""
    error: str = ""


PASSED = CheckResult(True)


@dataclass(frozen=True)
class _Context:
    language: str
    underscore_to_dot: bool


def _failed(error_type: str, error: str) -> CheckResult:
    return CheckResult(False, error_type, error)


def _short(value: Any, limit: int = 160) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def language_for_subset(subset: str) -> str:
    """``evaluate_task``: ``"java"`` in the name gives Java, then ``"javascript"`` JavaScript."""
    if "javascript" in subset:
        return "JavaScript"
    if "java" in subset:
        return "Java"
    return "Python"


def check_ast(
    subset: str,
    func_docs: list[dict],
    decoded: list[dict] | None,
    ground_truth: list[dict],
    *,
    underscore_to_dot: bool,
) -> CheckResult:
    """Score one decoded reply of an AST subset (``ast_file_runner`` + ``ast_checker``).

    ``decoded`` is ``None`` when decoding failed.  ``func_docs`` are the docs as stored in the
    data (before any language preprocessing).  Dispatch is by substring of the subset:
    "parallel", then "multiple", else simple.
    """
    if decoded is None:
        return _failed(DECODER_FAILED, "the reply could not be decoded into function calls")
    if not is_function_calling_format(decoded):
        return _failed(DECODER_WRONG_FORMAT, f"not a list of {{name: {{args}}}}: {_short(decoded)}")
    context = _Context(language_for_subset(subset), underscore_to_dot)
    if "parallel" in subset:
        return _check_parallel(func_docs, decoded, ground_truth, context)
    if "multiple" in subset:
        return _check_multiple(func_docs, decoded, ground_truth, context)
    return _check_simple(func_docs, decoded, ground_truth, context)


def check_relevance(subset: str, decoded: list[dict] | None) -> CheckResult:
    """``relevance_file_runner``: only whether a call was made counts (``None`` = decode failed).

    Irrelevance categories pass without a call; live_relevance passes with any non-empty call,
    correct or not.
    """
    has_call = decoded is not None and not is_empty_output(decoded)
    if "irrelevance" in subset:
        if has_call:
            return _failed(IRRELEVANCE_DECODED, f"a function call was made: {_short(decoded)}")
        return PASSED
    if has_call:
        return PASSED
    return _failed(RELEVANCE_NOT_DECODED, f"no function call was made: {_short(decoded)}")


# --- dispatch (3.2, 3.6, 3.7) ---


def _check_simple(
    func_docs: list[dict], decoded: list[dict], ground_truth: list[dict], context: _Context
) -> CheckResult:
    """Exactly one call, checked against the first doc (not looked up by the GT name)."""
    if len(decoded) != 1:
        return _failed(SIMPLE_WRONG_COUNT, f"expected 1 function call, got {len(decoded)}")
    return _check_call(func_docs[0], decoded[0], ground_truth[0], context)


def _check_multiple(
    func_docs: list[dict], decoded: list[dict], ground_truth: list[dict], context: _Context
) -> CheckResult:
    """As many calls as the GT (one); the doc is the one named like the GT call."""
    if len(decoded) != len(ground_truth):
        return _failed(
            MULTIPLE_WRONG_COUNT,
            f"expected {len(ground_truth)} function call(s), got {len(decoded)}",
        )
    doc = _doc_named(func_docs, _call_name(ground_truth[0]))
    return _check_call(doc, decoded[0], ground_truth[0], context)


def _check_parallel(
    func_docs: list[dict], decoded: list[dict], ground_truth: list[dict], context: _Context
) -> CheckResult:
    """Greedy matching: each GT call, in GT order, takes the first unmatched model call that
    passes; no backtracking, so a call that could serve two GT calls may starve a later one.
    """
    if len(decoded) != len(ground_truth):
        return _failed(
            PARALLEL_WRONG_COUNT, f"expected {len(ground_truth)} function calls, got {len(decoded)}"
        )
    unmatched = list(range(len(decoded)))
    for gt_index, gt_call in enumerate(ground_truth):
        doc = _doc_named(func_docs, _call_name(gt_call))
        match, last = _first_passing_call(doc, decoded, unmatched, gt_call, context)
        if match is None:
            return _failed(
                PARALLEL_NO_MATCH,
                f"no model call among {unmatched} matches GT call {gt_index} "
                f"({_call_name(gt_call)!r}); last: {last.error_type}: {last.error}",
            )
        unmatched.remove(match)
    return PASSED


def _first_passing_call(
    doc: dict, decoded: list[dict], candidates: list[int], gt_call: dict, context: _Context
) -> tuple[int | None, CheckResult]:
    """Index of the first candidate call passing against ``gt_call``, with its (last) result."""
    result = PASSED
    for index in candidates:
        result = _check_call(doc, decoded[index], gt_call, context)
        if result.valid:
            return index, result
    return None, result


def _call_name(call: dict) -> str:
    return next(iter(call))


def _doc_named(func_docs: list[dict], name: str) -> dict:
    """Official ``find_description``; a GT name without a doc is a data error (official crash)."""
    for doc in func_docs:
        if doc["name"] == name:
            return doc
    raise ValueError(f"no function doc named {name!r} for the ground truth")


# --- one call (3.3) ---


def _check_call(doc: dict, call: dict, gt_call: dict, context: _Context) -> CheckResult:
    """Official ``simple_function_checker``: name, required, each argument, missing GT params."""
    allowed = next(iter(gt_call.values()))
    name = _expected_name(doc["name"], context.underscore_to_dot)
    if name not in call:
        return _failed(WRONG_FUNC_NAME, f"expected function {name!r}, got {_call_name(call)!r}")
    arguments = call[name]
    parameters = doc["parameters"]
    return (
        _missing_required(parameters.get("required", []), arguments)
        or _check_arguments(parameters["properties"], arguments, allowed, context.language)
        or _missing_optional(allowed, arguments)
        or PASSED
    )


def _expected_name(doc_name: str, underscore_to_dot: bool) -> str:
    """``convert_func_name``: the doc name, with ``.`` → ``_`` when the model sent ``_`` names.

    It is the doc's name, never the GT key; with ``underscore_to_dot`` the dotted form fails.
    """
    if underscore_to_dot and "." in doc_name:
        return doc_name.replace(".", "_")
    return doc_name


def _missing_required(required: list[str], arguments: dict) -> CheckResult | None:
    for param in required:
        if param not in arguments:
            return _failed(MISSING_REQUIRED, f"missing required parameter {param!r}")
    return None


def _check_arguments(
    properties: dict, arguments: dict, allowed: dict, language: str
) -> CheckResult | None:
    """Each argument must be in the doc **and** in the GT (a valid optional the GT omits fails)."""
    for param, value in arguments.items():
        if param not in properties or param not in allowed:
            return _failed(UNEXPECTED_PARAM, f"unexpected parameter {param!r}")
        failure = _check_argument(param, value, properties[param], allowed[param], language)
        if failure:
            return failure
    return None


def _missing_optional(allowed: dict, arguments: dict) -> CheckResult | None:
    """A GT parameter the model left out must list ``""`` among its allowed values."""
    for param, options in allowed.items():
        if param not in arguments and "" not in options:
            return _failed(MISSING_OPTIONAL, f"parameter {param!r} omitted but not optional")
    return None


# --- one argument (3.4, 3.5, 3.8) ---


def _check_argument(
    param: str, value: Any, schema: dict, options: list, language: str
) -> CheckResult | None:
    """Type first (with the "variable" escape), then the value rule for the declared type."""
    types = _TYPES_BY_LANGUAGE[language]
    type_name = schema["type"]
    expected = _lookup_type(types, type_name, language)
    item_type_name = _item_type_name(schema, language)
    item_type = _lookup_type(types, item_type_name, language) if item_type_name else None
    if language == "Python":
        value = _python_coerced(value, type_name)
    elif type(value) is not str:
        return _failed(
            _LANGUAGE_TYPE_ERROR[language],
            f"{param!r}: {language} values must be source text (str), got {type(value).__name__}",
        )
    else:
        value = _converted(value, type_name, item_type_name, language)
    type_failure, is_variable = _check_type(param, value, options, type_name, expected, item_type)
    if type_failure:
        return type_failure
    if is_variable:
        return _check_membership(param, value, options)
    return _check_value(param, value, options, expected, item_type)


def _lookup_type(types: dict[str, type], type_name: str, language: str) -> type:
    """The Python type for a declared type; an unknown one is a data error (official KeyError)."""
    try:
        return types[type_name]
    except KeyError:
        raise ValueError(f"{language} parameter type {type_name!r} is unknown to BFCL") from None


def _item_type_name(schema: dict, language: str) -> str | None:
    """Declared item type of the containers whose items are type-checked (one level deep)."""
    checked = _PYTHON_ITEM_CHECKED if language == "Python" else _CONVERTED_ITEM_CHECKED
    return schema["items"]["type"] if schema["type"] in checked else None


def _python_coerced(value: Any, type_name: str) -> Any:
    """A tuple for a ``tuple`` param becomes a list (the GT went through JSON); an int for a
    ``float`` param becomes a float (top level only, Python only).  An int too large for a
    float stays an int and fails the type check (official: OverflowError).
    """
    if type_name == "tuple" and type(value) is tuple:
        return list(value)
    if type_name == "float" and type(value) is int:
        try:
            return float(value)
        except OverflowError:
            return value
    return value


def _converted(text: str, type_name: str, item_type_name: str | None, language: str) -> Any:
    """Java/JS source text → Python value; text that does not convert stays text.

    Where the official converter raises (``Set``/``Queue``/... are NotImplemented, an int over
    Python's digit limit), the text is kept too, so it fails like any unconverted value.
    """
    convert = _java_value if language == "Java" else _js_value
    try:
        return convert(text, type_name, item_type_name)
    except ValueError:
        return text


def _check_type(
    param: str, value: Any, options: list, type_name: str, expected: type, item_type: type | None
) -> tuple[CheckResult | None, bool]:
    """Official ``type_checker``: ``(failure or None, is_variable)``; exact types (bool ≠ int).

    The GT's own type (of its first non-``""`` value) is the escape: a param whose GT type
    differs from the declared one is a "variable", and a value of the GT's type is accepted.
    """
    option_type = _first_option_type(options)
    is_variable = option_type is not None and option_type is not expected
    if type(value) is expected:
        if item_type is None or any(_items_match(value, option, item_type) for option in options):
            return None, is_variable
        error_type = "type_error:nested" if type(value) is option_type else "type_error:simple"
        reason = f"{param!r}: items of {_short(value)} are not all {item_type.__name__}"
        return _failed(error_type, reason), False
    if option_type is not None and type(value) is option_type:
        return None, True
    reason = f"{param!r}: expected {type_name}, got {type(value).__name__} {_short(value)}"
    return _failed("type_error:simple", reason), False


def _first_option_type(options: list) -> type | None:
    return next((type(option) for option in options if option != ""), None)


def _items_match(value: list, option: Any, item_type: type) -> bool:
    """One GT alternative for the item check: a non-list alternative (``""``) passes vacuously;
    otherwise every item has the declared item type or the type of the alternative's first item.
    """
    if type(option) is not list:
        return True
    option_type = _first_option_type(option)
    return all(type(item) is item_type or type(item) is option_type for item in value)


def _check_value(
    param: str, value: Any, options: list, expected: type, item_type: type | None
) -> CheckResult | None:
    """The value rule for a non-variable param, chosen by the declared (converted) type."""
    if expected is dict:
        result = _check_dict(param, value, options)
        return None if result.valid else result
    if expected is list and item_type is dict:
        return _check_list_of_dicts(param, value, options)
    if expected is str:
        return _check_string(param, value, options)
    if expected is list:
        return _check_list(param, value, options)
    return _check_membership(param, value, options)


def _standardize(text: str) -> str:
    """Official ``standardize_string``: drop only `` ,./-_*^``, lowercase, ``'`` → ``"``."""
    return _STANDARDIZE_IGNORED.sub("", text).lower().replace("'", '"')


def _standardized(value: Any) -> Any:
    return _standardize(value) if type(value) is str else value


def _check_membership(param: str, value: Any, options: list) -> CheckResult | None:
    """Plain ``value in options`` (Python ``==``, so 1 == 1.0 == True)."""
    if value in options:
        return None
    return _failed(
        "value_error:others", f"{param!r}: got {_short(value)}, allowed {_short(options)}"
    )


def _check_string(param: str, value: str, options: list) -> CheckResult | None:
    """Exact match after standardizing both sides (not a substring match)."""
    allowed = {_standardize(option) for option in options if type(option) is str}
    if _standardize(value) in allowed:
        return None
    return _failed(
        "value_error:string", f"{param!r}: got {_short(value)}, allowed {_short(options)}"
    )


def _check_list(param: str, value: list, options: list) -> CheckResult | None:
    """Order-sensitive ``==`` against each alternative, top-level strings standardized.

    Alternatives are iterated like the official code does, so ``""`` reads as ``[]``.
    """
    given = [_standardized(item) for item in value]
    for option in options:
        if isinstance(option, (list, tuple, str)) and given == [_standardized(x) for x in option]:
            return None
    return _failed(
        "value_error:list/tuple", f"{param!r}: got {_short(value)}, allowed {_short(options)}"
    )


def _check_dict(param: str, value: dict, options: list) -> CheckResult:
    """Official ``dict_checker``: passes if some non-``""`` alternative matches; else the last
    alternative's failure (``dict_checker:unclear`` when every alternative is ``""``).
    """
    result = _failed("dict_checker:unclear", f"{param!r}: no dict alternative to compare with")
    for option in options:
        if option == "":
            continue
        result = _match_dict(param, value, option)
        if result.valid:
            return result
    return result


def _match_dict(param: str, value: dict, option: dict) -> CheckResult:
    """Model keys must exist with a standardized value among the allowed ones (no type check,
    so True == 1); GT keys the model omits must allow ``""``.  A missing key is reported over
    a wrong value, as the official code overwrites the error type in that order.
    """
    missing = next(
        (key for key, allowed in option.items() if key not in value and "" not in allowed), None
    )
    if missing is not None:
        return _failed("value_error:dict_key", f"{param!r}: missing dict key {missing!r}")
    for key, item in value.items():
        if key not in option:
            return _failed("value_error:dict_key", f"{param!r}: unexpected dict key {key!r}")
        if _standardized(item) not in [_standardized(allowed) for allowed in option[key]]:
            return _failed(
                "value_error:dict_value",
                f"{param!r}[{key!r}]: got {_short(item)}, allowed {_short(option[key])}",
            )
    return PASSED


def _check_list_of_dicts(param: str, value: list, options: list) -> CheckResult | None:
    """Official ``list_dict_checker``: same length as an alternative, dicts matched by index."""
    result = _failed("list_dict_checker:unclear", f"{param!r}: no alternative to compare with")
    for option in options:
        if len(value) != len(option):
            result = _failed("value_error:list_dict_count", f"{param!r}: wrong number of dicts")
            continue
        result = _match_dicts_by_index(param, value, option)
        if result.valid:
            return None
    return result


def _match_dicts_by_index(param: str, value: list, option: list) -> CheckResult:
    for index, (item, expected) in enumerate(zip(value, option)):
        if type(item) is not dict:
            return _failed("type_error:nested", f"{param!r}[{index}]: expected a dict")
        result = _check_dict(param, item, [expected])
        if not result.valid:
            return result
    return PASSED


# --- Java source text → Python value (type_convertor/java_type_converter.py) ---

_JAVA_INTEGER = re.compile(r"^-?\d+$")
_JAVA_FLOAT = re.compile(r"^-?\d+(\.\d+)?([eE][+-]?\d+)?[fF]$")
_JAVA_DOUBLE = re.compile(r"^-?\d+(\.\d+)?([eE][+-]?\d+)?$")
_JAVA_LONG = re.compile(r"^-?\d+[lL]$")
_JAVA_ARRAY = re.compile(r"new\s+\w+\[\]\s*\{(.*?)\}")
_JAVA_AS_LIST = re.compile(r"new\s+ArrayList<\w*>\(Arrays\.asList\((.+?)\)\)")
_JAVA_ADD_BLOCK = re.compile(r"new\s+ArrayList<\w*>\(\)\s*\{\{\s*(.+?)\s*\}\}", re.DOTALL)
_JAVA_ADD_CALL = re.compile(r"add\((.+?)\)")
_JAVA_EMPTY_LIST = re.compile(r"new\s+ArrayList<\w*>\(\)")
_JAVA_HASH_MAP = re.compile(r"new\s+HashMap<.*?>\s*\(\)\s*\{\s*\{?\s*(.*?)\s*\}?\s*\}", re.DOTALL)
_JAVA_PUT_CALL = re.compile(r"put\(\"(.*?)\",\s*(.*?)\)")
_JAVA_EMPTY_MAP = re.compile(r"new\s+HashMap<.*?>\s*\(\)")


def _java_value(text: str, type_name: str, item_type_name: str | None = None) -> Any:
    """Convert by declared type; text that does not match the type's pattern stays text.

    ``char`` stays text (the official char regex can never match); ``String``/``any`` are text.
    """
    if type_name in ("byte", "short", "integer"):
        return int(text) if _JAVA_INTEGER.match(text) else text
    if type_name == "float":
        return float(re.sub(r"[fF]$", "", text)) if _JAVA_FLOAT.match(text) else text
    if type_name == "double":
        return float(text) if _JAVA_DOUBLE.match(text) else text
    if type_name == "long":
        return int(re.sub(r"[lL]$", "", text)) if _JAVA_LONG.match(text) else text
    if type_name == "boolean":
        return text == "true" if text in ("true", "false") else text
    if type_name == "Array":
        return _java_array(text, item_type_name)
    if type_name == "ArrayList":
        return _java_array_list(text, item_type_name)
    if type_name == "HashMap":
        return _java_hash_map(text)
    if type_name in ("char", "String", "any"):
        return text
    raise ValueError(f"no official conversion for Java type {type_name!r}")


def _java_array(text: str, item_type_name: str | None) -> Any:
    """``new T[]{a, b}``; items convert by item type (quotes of Strings are kept, officially)."""
    match = _JAVA_ARRAY.search(text)
    if not match:
        return text
    parts = [part.strip() for part in match.group(1).split(",") if part.strip()]
    return [_java_item(part, item_type_name) for part in parts]


def _java_array_list(text: str, item_type_name: str | None) -> Any:
    """``new ArrayList<>(Arrays.asList(..))``, ``new ArrayList<>() {{ add(..); }}`` or empty."""
    match = _JAVA_AS_LIST.search(text)
    if match:
        return [_java_list_item(part.strip(), item_type_name) for part in match.group(1).split(",")]
    match = _JAVA_ADD_BLOCK.search(text)
    if match:
        arguments = _JAVA_ADD_CALL.findall(match.group(1))
        return [_java_list_item(argument.strip(), item_type_name) for argument in arguments]
    return [] if _JAVA_EMPTY_LIST.search(text) else text


def _java_list_item(text: str, item_type_name: str | None) -> Any:
    """ArrayList items: ``char``/``String`` lose their first and last character (the quotes)."""
    if item_type_name in ("char", "String"):
        return text[1:-1]
    return _java_item(text, item_type_name)


def _java_item(text: str, item_type_name: str | None) -> Any:
    return _java_value(text, item_type_name) if item_type_name else _java_literal(text)


def _java_hash_map(text: str) -> Any:
    """``new HashMap<..>() {{ put("k", v); }}``; values are read without a declared type."""
    match = _JAVA_HASH_MAP.search(text)
    if match:
        pairs = _JAVA_PUT_CALL.findall(match.group(1))
        return {key: _java_literal(raw.strip()) for key, raw in pairs}
    return {} if _JAVA_EMPTY_MAP.search(text) else text


def _java_literal(text: str) -> Any:
    """Official ``parse_java_value``: boolean, "string", long, float, int, double, else text."""
    if text in ("true", "false"):
        return text == "true"
    if text.startswith('"') and text.endswith('"'):
        return text[1:-1]
    if _JAVA_LONG.match(text):
        return int(text[:-1])
    if _JAVA_FLOAT.match(text):
        return float(re.sub(r"[fF]$", "", text))
    return _number_or_text(text)


def _number_or_text(text: str) -> Any:
    """``int(text)``, else ``float(text)``, else the text itself."""
    for parse in (int, float):
        try:
            return parse(text)
        except ValueError:
            pass
    return text


# --- JavaScript source text → Python value (type_convertor/js_type_converter.py) ---

_JS_INTEGER = re.compile(r"^-?\d+$")
_JS_FLOAT = re.compile(r"^-?\d+(\.\d+)?$")
_JS_BIGINT = re.compile(r"^-?\d+n$")
_JS_ARRAY_2D = re.compile(
    r"\[\s*\[.*?\]\s*(,\s*\[.*?\]\s*)*\]|\bnew\s+Array\(\s*\[.*?\]\s*(,\s*\[.*?\]\s*)*\)"
)
_JS_ARRAY = re.compile(r"\[(.*?)\]|\bnew\s+Array\((.*?)\)")
_JS_INNER_ARRAY = re.compile(r"\[(.*?)\]")
_JS_OBJECT = re.compile(r"\{(.*?)\}")
_JS_OBJECT_PAIR = re.compile(r"([^:]+):\s*(.*?)(?:,\s*(?=[^,]+:)|$)")


def _js_value(text: str, type_name: str, item_type_name: str | None = None) -> Any:
    """Convert by declared type; text that does not match the type's pattern stays text."""
    if type_name == "String":
        return text[1:-1] if _is_quoted(text, "\"'") else text
    if type_name == "integer":
        return int(text) if _JS_INTEGER.match(text) else text
    if type_name == "float":
        return float(text) if _JS_FLOAT.match(text) else text
    if type_name == "Bigint":
        return int(text[:-1]) if _JS_BIGINT.match(text) else text
    if type_name == "Boolean":
        return text == "true" if text in ("true", "false") else text
    if type_name == "dict":
        return _js_object(text)
    if type_name == "array":
        return _js_array(text, item_type_name)
    if type_name == "any":
        return text
    raise ValueError(f"no official conversion for JavaScript type {type_name!r}")


def _is_quoted(text: str, quotes: str) -> bool:
    return any(text.startswith(quote) and text.endswith(quote) for quote in quotes)


def _js_array(text: str, item_type_name: str | None) -> Any:
    """``[..]`` or ``new Array(..)``, 1-D or 2-D (regex-based, first ``]`` ends an array).

    2-D items are read without a declared type.  On any conversion error the whole
    (stripped) text is kept, as the official ``except`` does.
    """
    code = text.strip()
    try:
        nested = _JS_ARRAY_2D.match(code)
        if nested:
            rows = _JS_INNER_ARRAY.findall(nested.group(0))
            return [_js_row(row, index) for index, row in enumerate(rows)]
        flat = _JS_ARRAY.match(code)
        if not flat:
            return code
        inner = (flat.group(1) if flat.group(1) is not None else flat.group(2)).strip()
        parts = inner.split(",") if inner else []
        return [_js_item(part.strip(), item_type_name) for part in parts]
    except ValueError:
        return code


def _js_row(row: str, index: int) -> list:
    """One row of a 2-D array; the first row still carries the outer ``[``."""
    row = row.strip()
    if index == 0 and row.startswith("["):
        row = row[1:]
    return [_js_literal(part) for part in row.split(",")]


def _js_item(text: str, item_type_name: str | None) -> Any:
    return _js_value(text, item_type_name) if item_type_name else _js_literal(text)


def _js_object(text: str) -> Any:
    """``{k: v, ..}`` read by regex up to the first ``}``, so values are never nested objects."""
    code = text.strip()
    if code == "{}":
        return {}
    match = _JS_OBJECT.match(code)
    if not match:
        return code
    pairs = _JS_OBJECT_PAIR.findall(match.group(1))
    return {key.strip().strip("'\""): _js_object_value(raw.strip()) for key, raw in pairs}


def _js_object_value(raw: str) -> Any:
    if raw.startswith("[") and raw.endswith("]"):
        return _js_array(raw, None)
    return _js_literal(raw.strip("'\""))


def _js_literal(text: str) -> Any:
    """Official ``parse_js_value``: true/false, a quoted string, int, float, else the text."""
    text = text.strip()
    if text in ("true", "false"):
        return text == "true"
    if _is_quoted(text, "\"'"):
        return text[1:-1]
    return _number_or_text(text)
