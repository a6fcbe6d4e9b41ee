"""Decode a model reply into BFCL's form ``[{function_name: {param: value}}]`` (spec 3.1).

Two entry points mirror the official handlers of bfcl-eval 2025.8.6.2:

* :func:`decode_fc` - native tool calls (``OpenAICompletionsHandler.decode_ast``, FC mode);
* :func:`decode_prompt` - a text reply (``model_handler/utils.py:default_decode_ast_prompting``
  with the v3 ``ast_parse``), quirks included, but without ever running model-written code:
  the official decoder ``eval``s arithmetic, we compute it from literals only.  Java and
  JavaScript replies are parsed with tree-sitter (:mod:`.source_parsers`).
"""

from __future__ import annotations

import ast
import json
import operator
import re
from collections.abc import Callable, Sequence
from typing import Any

from pytest_llmeval.records import ToolCall

from .source_parsers import SourceParseError, parse_java_call, parse_javascript_call

Decoded = list[dict[str, dict]]

_SOURCE_PARSERS: dict[str, Callable[[str], Decoded | dict]] = {
    "Java": parse_java_call,
    "JavaScript": parse_javascript_call,
}

_MAX_LITERAL_SIZE = 1_000_000
"""Largest sequence length or int bit length that prompt-mode arithmetic may build."""

_BINARY_OPERATORS: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
    ast.LShift: operator.lshift,
    ast.RShift: operator.rshift,
    ast.BitOr: operator.or_,
    ast.BitXor: operator.xor,
    ast.BitAnd: operator.and_,
}

_UNARY_OPERATORS: dict[type[ast.unaryop], Callable[[Any], Any]] = {
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
    ast.Not: operator.not_,
    ast.Invert: operator.invert,
}

_WIDE_PRINTF_FORMAT = re.compile(r"\*|\d{6,}")
"""A ``%`` format with ``*`` or a 6+ digit width/precision could build a huge string."""


class DecodeError(ValueError):
    """The reply cannot be decoded: the official runner scores it ``ast_decoder:decoder_failed``."""


def decode_fc(tool_calls: Sequence[ToolCall]) -> Decoded:
    """Each native tool call becomes ``{name: json.loads(arguments)}``, in the order given.

    ``decode_fc([])`` returns ``[]``.  The official FC handler gets the reply *text* when there
    are no tool calls and fails to decode it, so the caller must treat "text reply, no tool
    calls" as a decode failure (pass ``None`` to the checkers) rather than as ``[]``.
    Arguments that are JSON but not an object (``"5"``, ``"null"``) decode fine and are then
    rejected by :func:`is_function_calling_format`, as officially.
    """
    return [{call.name: _json_arguments(call)} for call in tool_calls]


def _json_arguments(call: ToolCall) -> Any:
    """``json.loads`` of the raw arguments; any failure is a decode failure."""
    try:
        return json.loads(call.arguments)
    except (TypeError, ValueError, RecursionError) as exc:
        raise DecodeError(f"arguments of {call.name!r} are not valid JSON: {exc}") from exc


def decode_prompt(text: str, language: str = "Python") -> Decoded | dict:
    """Decode a prompt-mode reply such as ``[f(a=1), pkg.g(b='x')]`` (official v3 semantics).

    ``strip("`\\n ")`` and add a missing ``[`` / ``]``; then, per ``language`` (official
    ``ast_parse``):

    * ``"Python"``: ``strip("[]'")`` and ``ast.parse(mode="eval")``.  A fence with a language
      tag (```` ```python ````) therefore fails, while a bare ```` ``` ```` fence is stripped.
      ``[]`` and ``""`` fail to parse.
    * ``"Java"`` / ``"JavaScript"``: drop the first and last character (the brackets) and read
      the first call with tree-sitter, every value as source text
      (:func:`.source_parsers.parse_java_call`).  No call gives ``{}``, which is not a list:
      it fails :func:`is_function_calling_format`, as the official ``{}`` / ``None`` do.
    """
    bracketed = _with_brackets(text.strip("`\n "))
    if language == "Python":
        return _decode_python(bracketed.strip("[]'"))
    if language not in _SOURCE_PARSERS:
        raise ValueError(f"unsupported language: {language!r}")
    try:
        return _SOURCE_PARSERS[language](bracketed[1:-1])
    except (SourceParseError, RecursionError) as exc:
        raise DecodeError(f"not a {language} function call: {exc}") from exc


def _decode_python(source: str) -> Decoded:
    """``ast.parse(mode="eval")`` of the stripped text, then the official value rules."""
    try:
        body = ast.parse(source, mode="eval").body
        return [_decode_call(call) for call in _top_level_calls(body)]
    except DecodeError:
        raise
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        raise DecodeError(f"not a list of Python calls: {exc}") from exc


def _with_brackets(text: str) -> str:
    """Prepend ``[`` and/or append ``]`` when missing, as ``default_decode_ast_prompting`` does."""
    if not text.startswith("["):
        text = "[" + text
    if not text.endswith("]"):
        text += "]"
    return text


def _top_level_calls(body: ast.expr) -> list[ast.Call]:
    """A single call, or a list/tuple/set of calls (v3 ``ast_parse`` reads ``body.elts``)."""
    if isinstance(body, ast.Call):
        return [body]
    is_collection = isinstance(body, (ast.List, ast.Tuple, ast.Set))
    if is_collection and all(isinstance(element, ast.Call) for element in body.elts):
        return body.elts
    raise DecodeError("expected a function call or a list of function calls")


def _decode_call(call: ast.Call) -> dict[str, dict]:
    """``{dotted_name: {kwarg: value}}``; positional arguments are silently dropped (official)."""
    arguments = {keyword.arg: _decode_value(keyword.value) for keyword in call.keywords}
    return {_dotted_name(call.func): arguments}


def _dotted_name(func: ast.expr) -> str:
    """Join the attribute chain ``a.b.c``; a non-name base (``x[0].f``, ``f()()``) is left out."""
    parts = []
    while isinstance(func, ast.Attribute):
        parts.append(func.attr)
        func = func.value
    if isinstance(func, ast.Name):
        parts.append(func.id)
    return ".".join(reversed(parts))


def _decode_value(node: ast.expr) -> Any:
    """Official ``resolve_ast_by_type``: the supported value shapes, anything else fails.

    ``lambda`` always fails: the official code reads ``value.body[0]`` on the lambda's single
    body expression, which raises, so no lambda ever decodes there either.
    """
    if isinstance(node, ast.Constant):
        return "..." if node.value is Ellipsis else node.value
    if isinstance(node, ast.UnaryOp):
        return _negated_literal(node)
    if isinstance(node, ast.List):
        return [_decode_value(element) for element in node.elts]
    if isinstance(node, ast.Tuple):
        return tuple(_decode_value(element) for element in node.elts)
    if isinstance(node, ast.Dict):
        return _decode_dict(node)
    if isinstance(node, ast.BinOp):
        return _evaluate_binop(node)
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Call):
        return _decode_call(node) if node.keywords else ast.unparse(node)
    if isinstance(node, ast.Subscript):
        return f"{ast.unparse(node.value)}[{ast.unparse(node.slice)}]"
    raise DecodeError(f"unsupported argument value: {type(node).__name__}")


def _negated_literal(node: ast.UnaryOp) -> Any:
    """Official quirk: every unary operator decodes as ``-operand.value``.

    So ``+5`` gives -5, ``not True`` gives -1 and ``~3`` gives -3; an operand that is not a
    literal (``-x``, ``-(1+2)``, ``--1``) or cannot be negated (``-'a'``) fails.
    """
    if isinstance(node.operand, ast.Constant):
        try:
            return -node.operand.value
        except TypeError:
            pass
    raise DecodeError(f"unsupported unary expression: {ast.unparse(node)[:80]}")


def _decode_dict(node: ast.Dict) -> dict:
    """Keys and values decode like arguments; ``**spread`` or an unhashable key fails."""
    if any(key is None for key in node.keys):
        raise DecodeError("dict unpacking (**) is not a literal")
    try:
        return {
            _decode_value(key): _decode_value(value) for key, value in zip(node.keys, node.values)
        }
    except TypeError as exc:
        raise DecodeError(f"unhashable dict key: {exc}") from exc


def _evaluate_binop(node: ast.BinOp) -> Any:
    """What the official ``eval(ast.unparse(node))`` gives, computed from literals only.

    Operands may be literals, containers of literals and nested unary/binary operations; a
    name, call or attribute fails instead of being looked up (official: NameError, or running
    the call).  Results too large to build safely fail too (the official would try).
    """
    left = _evaluate_literal(node.left)
    right = _evaluate_literal(node.right)
    compute = _BINARY_OPERATORS.get(type(node.op))
    if compute is None:
        raise DecodeError(f"unsupported operator: {type(node.op).__name__}")
    _refuse_huge_result(node.op, left, right)
    try:
        result = compute(left, right)
    except (ArithmeticError, LookupError, TypeError, ValueError, MemoryError) as exc:
        raise DecodeError(f"arithmetic failed: {exc}") from exc
    if _literal_size(result) > _MAX_LITERAL_SIZE:
        raise DecodeError("arithmetic result too large")
    return result


def _evaluate_literal(node: ast.expr) -> Any:
    """Evaluate an operand of arithmetic with Python's own semantics (real unary operators)."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.BinOp):
        return _evaluate_binop(node)
    if isinstance(node, ast.UnaryOp):
        return _evaluate_unary(node)
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return _evaluate_sequence(node)
    if isinstance(node, ast.Dict) and None not in node.keys:
        return _evaluate_dict(node)
    raise DecodeError(f"arithmetic on a non-literal: {type(node).__name__}")


def _evaluate_unary(node: ast.UnaryOp) -> Any:
    try:
        return _UNARY_OPERATORS[type(node.op)](_evaluate_literal(node.operand))
    except TypeError as exc:
        raise DecodeError(f"arithmetic failed: {exc}") from exc


def _evaluate_sequence(node: ast.List | ast.Tuple | ast.Set) -> list | tuple | set:
    items = [_evaluate_literal(element) for element in node.elts]
    if isinstance(node, ast.List):
        return items
    if isinstance(node, ast.Tuple):
        return tuple(items)
    try:
        return set(items)
    except TypeError as exc:
        raise DecodeError(f"unhashable set item: {exc}") from exc


def _evaluate_dict(node: ast.Dict) -> dict:
    try:
        return {
            _evaluate_literal(key): _evaluate_literal(value)
            for key, value in zip(node.keys, node.values)
        }
    except TypeError as exc:
        raise DecodeError(f"unhashable dict key: {exc}") from exc


def _refuse_huge_result(op: ast.operator, left: Any, right: Any) -> None:
    """Refuse ``**``, ``*``, ``<<`` and ``%``-formatting that would build a huge value."""
    limit = _MAX_LITERAL_SIZE
    both_ints = isinstance(left, int) and isinstance(right, int)
    if isinstance(op, ast.Pow) and both_ints and right > 0 and abs(left) > 1:
        too_big = left.bit_length() * right > limit
    elif isinstance(op, ast.Mult) and both_ints:
        too_big = left.bit_length() + right.bit_length() > limit
    elif isinstance(op, ast.Mult):
        too_big = _repetition_size(left, right) > limit
    elif isinstance(op, ast.LShift) and both_ints:
        too_big = left != 0 and right > 0 and left.bit_length() + right > limit
    elif isinstance(op, ast.Mod) and isinstance(left, (str, bytes)):
        too_big = _WIDE_PRINTF_FORMAT.search(str(left)) is not None
    else:
        too_big = False
    if too_big:
        raise DecodeError("arithmetic result too large")


def _repetition_size(left: Any, right: Any) -> int:
    """Length of ``sequence * count`` (either order); 0 when it is not a repetition."""
    for sequence, count in ((left, right), (right, left)):
        if isinstance(sequence, (str, bytes, list, tuple)) and isinstance(count, int):
            return len(sequence) * count
    return 0


def _literal_size(value: Any) -> int:
    if isinstance(value, int):
        return value.bit_length()
    if isinstance(value, (str, bytes, list, tuple, set, dict)):
        return len(value)
    return 0


def is_function_calling_format(decoded: Any) -> bool:
    """Official ``is_function_calling_format_output``: a list of one-key dicts of dicts.

    ``[]`` passes; ``[{}]``, a string or ``None`` do not.  Exact types, as officially.
    """
    if type(decoded) is not list:
        return False
    return all(
        type(item) is dict and len(item) == 1 and type(next(iter(item.values()))) is dict
        for item in decoded
    )


def is_empty_output(decoded: Any) -> bool:
    """Official ``is_empty_output`` (spec 3.9): not in calling format, or no call at all.

    ``[{}]`` counts as empty because it already fails :func:`is_function_calling_format`.
    """
    return not is_function_calling_format(decoded) or len(decoded) == 0
