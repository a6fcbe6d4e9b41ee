"""Prompt-mode Java / JavaScript decoding with tree-sitter (spec 3.1), as bfcl-eval 2025.8.6.2.

A clean reimplementation of the official ``model_handler/parser/java_parser.py``
(``parse_java_function_call``) and ``js_parser.py`` (``parse_javascript_function_call``),
node by node, quirks included:

* the whole input is rejected when the tree's s-expression contains ``ERROR``; a tree with
  only MISSING nodes (``func(a="x")`` lacks its ``;``) is accepted.  Which one tree-sitter's
  error recovery builds varies: ``f(a="x")`` and ``f(a=1)`` get an ERROR node;
* only the first call is read; its arguments become ``{name: source text}``, plus a ``None``
  key for the bare arguments the official code keeps;
* a name given twice (or two kept bare arguments) is an error;
* no call at all gives ``{}`` (official Java ``{}``, JavaScript ``None``: both then fail the
  format check, ``ast_decoder:decoder_wrong_output_format``).

tree-sitter is imported on first use, so the Python path never needs it.
"""

from __future__ import annotations

import functools
import importlib
import warnings
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tree_sitter import Node, Parser

INSTALL_HINT = "pip install tree-sitter tree-sitter-java tree-sitter-javascript"

_GRAMMARS = {"Java": "tree_sitter_java", "JavaScript": "tree_sitter_javascript"}

Arguments = dict[str | None, str]
Parsed = list[dict[str, Arguments]] | dict
"""``[{name: arguments}]`` for the first call, ``{}`` when there is none."""


class SourceParseError(ValueError):
    """The official parser raises here: the reply scores ``ast_decoder:decoder_failed``."""


def parse_java_call(source: str) -> Parsed:
    """Official ``parse_java_function_call``: the first ``method_invocation``, depth first."""
    call = _first_method_invocation(_parse("Java", source))
    if call is None:
        return {}
    method = _java_text(call.child_by_field_name("name"), source)
    owner = call.child_by_field_name("object")
    name = f"{_java_text(owner, source)}.{method}" if owner is not None else method
    return [{name: _java_arguments(call.child_by_field_name("arguments"), source)}]


def parse_javascript_call(source: str) -> Parsed:
    """Official ``parse_javascript_function_call``: the first top-level ``f(...);`` statement.

    A call inside another expression (``f(a=1), g(b=2)`` is a sequence) is not looked at.
    The callee is ``children[0]`` and the arguments ``children[1]``, by position.
    """
    for statement in _parse("JavaScript", source).children:
        if statement.type != "expression_statement":
            continue
        for node in statement.children:
            if node.type == "call_expression":
                callee, arguments = node.children[0], node.children[1]
                return [{_js_text(callee): _js_arguments(arguments)}]
    return {}


# --- tree-sitter ---


@functools.cache
def _parser(language: str) -> Parser:
    """A parser for ``language``; tree-sitter and its grammar are imported only here.

    The official grammar builds (tree-sitter-java 0.21.0, tree-sitter-javascript 0.21.4) hand
    over an int pointer, which tree-sitter >= 0.24 still takes with a DeprecationWarning.
    """
    try:
        tree_sitter = importlib.import_module("tree_sitter")
        grammar = importlib.import_module(_GRAMMARS[language])
    except ImportError as exc:
        raise SourceParseError(
            f"decoding {language} replies needs tree-sitter: {INSTALL_HINT}"
        ) from exc
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return tree_sitter.Parser(tree_sitter.Language(grammar.language()))


def _parse(language: str, source: str) -> Node:
    """The root node; official: ``SyntaxError`` when ``"ERROR" in root_node.sexp()``.

    ``str(node)`` is the same ``ts_node_string`` s-expression the old ``sexp()`` returned.  It
    prints MISSING nodes as ``(MISSING ...)``: ``has_error``, true for them too, would reject
    replies the official accepts.
    """
    try:
        encoded = source.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise SourceParseError(f"the reply is not valid UTF-8 text: {exc}") from exc
    root = _parser(language).parse(encoded).root_node
    if "ERROR" in str(root):
        raise SourceParseError(f"the reply is not valid {language} source")
    return root


def _add_argument(arguments: Arguments, name: str | None, value: str) -> None:
    """Official: a repeated name becomes a list, which then raises."""
    if name in arguments:
        raise SourceParseError(f"argument {name!r} is given more than once")
    arguments[name] = value


# --- Java ---

_JAVA_QUOTED = frozenset({"string_literal", "character_literal"})
_JAVA_VERBATIM = frozenset({"identifier", "class_literal", "type_identifier", "method_invocation"})
_JAVA_BARE_ARGUMENTS = frozenset({"identifier", "class_literal"})
"""Official also lists ``set``, a node type tree-sitter-java does not have."""
_JAVA_PUNCTUATION = frozenset({",", "(", ")"})


def _java_text(node: Node, source: str) -> str:
    """Official ``get_text``: the *str* sliced by *byte* offsets, so non-ASCII text shifts."""
    return source[node.start_byte : node.end_byte]


def _first_method_invocation(node: Node) -> Node | None:
    """Official ``traverse``: pre-order, the outermost call first."""
    if node.type == "method_invocation":
        return node
    for child in node.children:
        found = _first_method_invocation(child)
        if found is not None:
            return found
    return None


def _java_arguments(argument_list: Node, source: str) -> Arguments:
    """Official ``extract_arguments``: ``name=value``; bare identifiers and ``X.class`` go
    under ``None``; every other bare argument is dropped."""
    arguments: Arguments = {}
    for child in argument_list.children:
        if child.type == "assignment_expression":
            name = _java_text(child.children[0], source)
            _add_argument(arguments, name, _java_value(child.children[2], source))
        elif child.type in _JAVA_BARE_ARGUMENTS:
            _add_argument(arguments, None, _java_value(child, source))
    return arguments


def _java_value(node: Node, source: str, nested: bool = False) -> str:
    """Official ``traverse_node``: source text, rebuilt from the leaves without whitespace.

    A string or char literal loses its outer quotes at the top level only; identifiers and
    calls keep their text as written; array and object creations are rebuilt.
    """
    if node.type in _JAVA_QUOTED:
        text = _java_text(node, source)
        return text if nested else text[1:-1]
    if node.type in _JAVA_VERBATIM:
        return _java_text(node, source)
    if node.type == "array_creation_expression":
        return _java_array_creation(node, source)
    if node.type == "object_creation_expression":
        return _java_object_creation(node, source)
    if node.children:
        return "".join(_java_value(child, source, nested=True) for child in node.children)
    return _java_text(node, source)


def _java_array_creation(node: Node, source: str) -> str:
    """``new T[]{...}`` whatever the dimensions; without an initializer the official fails."""
    initializer = node.child_by_field_name("value")
    if initializer is None:
        raise SourceParseError("array creation without an initializer")
    element_type = _java_value(node.child_by_field_name("type"), source, nested=True)
    return f"new {element_type}[]{_java_value(initializer, source, nested=True)}"


def _java_object_creation(node: Node, source: str) -> str:
    """``new T(a, b)``: the arguments joined by ``", "``; an anonymous class body is dropped."""
    class_type = _java_value(node.child_by_field_name("type"), source, nested=True)
    arguments = node.child_by_field_name("arguments").children
    texts = [
        _java_value(child, source, nested=True)
        for child in arguments
        if child.type not in _JAVA_PUNCTUATION
    ]
    return f"new {class_type}({', '.join(texts)})"


# --- JavaScript ---

_JS_BARE_ARGUMENTS = frozenset({"identifier", "true"})
"""Official: bare identifiers and ``true`` (not ``false``) go under ``None``."""


def _js_text(node: Node) -> str:
    return node.text.decode("utf-8")


def _js_arguments(arguments_node: Node) -> Arguments:
    """Official ``extract_arguments``: ``name=value`` keeps the value's source text, less one
    pair of outer quotes when the whole text starts and ends with ``"`` (or ``'``): ``'a'``
    gives ``a``, ``['a']`` keeps its quotes and ``'a' + 'b'`` gives ``a' + 'b``."""
    arguments: Arguments = {}
    for child in arguments_node.children:
        if child.type == "assignment_expression":
            name, value = _js_text(child.children[0]), _js_text(child.children[2])
            _add_argument(arguments, name, _unquoted(value))
        elif child.type in _JS_BARE_ARGUMENTS:
            _add_argument(arguments, None, _js_text(child))
    return arguments


def _unquoted(value: str) -> str:
    for quote in ('"', "'"):
        if value.startswith(quote) and value.endswith(quote):
            return value[1:-1]
    return value
