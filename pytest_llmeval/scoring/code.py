"""The program in a model's reply, as the code benchmarks' own harnesses find it.

How the references choose, and what we keep of each:

- LiveCodeBench (``extract_code``) and EvalScope take the *first* fenced block, and nothing at
  all when there is no complete pair of fences. Chat and reasoning models often draft or show
  the input format first, so the first block is too often not the answer.
- EvalPlus (``sanitize``) takes the *longest* run of lines that parses as Python, fences or not,
  then keeps only imports and top-level definitions, those reachable from the entry point.

So `extract_code` drops the reasoning, then among the complete fenced blocks in Python (tagged
python/py, or untagged when none is tagged) that parse: with an entry point, the last block
that defines it (a usage example after the answer defines nothing); without, the longest, the
last on a tie (a refined version restates the whole program). With no complete block (a reply
cut off inside its fence, or bare code) it falls back to the whole text when it parses, then to
the last complete top-level function with the file's imports, then to the text itself, so the
program that ran is the one recorded and its SyntaxError says why it failed. `sanitize` is
EvalPlus's clean-up for benchmarks that call a function: no test prints, no ``input()``.
"""

from __future__ import annotations

import ast
import re
import textwrap
from dataclasses import dataclass

_THINK_BLOCK = re.compile(r"<think>.*?</think>", re.DOTALL)
_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<tag>[^\s`]*)")
_PYTHON_TAGS = {"python", "py", "python3", "py3"}
_DEF = re.compile(r"^(?:async[ \t]+)?def[ \t]+(?P<name>\w+)[ \t]*\(")
_IMPORT = re.compile(r"^(?:import|from)[ \t]+\S")


@dataclass(frozen=True)
class CodeBlock:
    tag: str  # the info string's first word, lowercased: "" when untagged
    code: str


def drop_reasoning(reply: str) -> str:
    """The reply without ``<think>`` blocks; a dangling ``</think>`` ends the reasoning, an
    unclosed ``<think>`` (cut off while thinking) means no answer came after it."""
    text = _THINK_BLOCK.sub("", reply)
    text = text.rpartition("</think>")[2]
    return text.partition("<think>")[0]


def fenced_blocks(text: str) -> list[CodeBlock]:
    """The complete fenced blocks (CommonMark: the closing fence is the same character, at
    least as long, with nothing after it); a block still open at the end is left out."""
    blocks: list[CodeBlock] = []
    opened: tuple[str, str, int] | None = None  # fence, tag, first line of content
    lines = text.splitlines()
    for number, line in enumerate(lines):
        match = _FENCE.match(line)
        if match is None:
            continue
        fence = match["fence"]
        if opened is None:
            opened = (fence, match["tag"].lower(), number + 1)
        elif (
            fence[0] == opened[0][0]
            and len(fence) >= len(opened[0])
            and not line.strip().strip(fence[0])
        ):
            code = textwrap.dedent("\n".join(lines[opened[2] : number]))
            blocks.append(CodeBlock(opened[1], code.strip("\n")))
            opened = None
    return blocks


def extract_code(reply: str, *, entry_point: str | None = None) -> str:
    """The program a reply gives: see the module's docstring for how it is chosen."""
    text = drop_reasoning(reply)
    blocks = [block for block in fenced_blocks(text) if block.tag in _PYTHON_TAGS | {""}]
    pool = [block for block in blocks if block.tag] or blocks
    chosen = [block for block in pool if _parses(block.code)] or pool
    if entry_point is not None:
        defining = [block for block in chosen if _defines(block.code, entry_point)]
        if defining:
            return defining[-1].code
    if chosen:
        return max(enumerate(chosen), key=lambda pair: (_size(pair[1].code), pair[0]))[1].code
    body = "\n".join(line for line in text.splitlines() if not _FENCE.match(line)).strip("\n")
    if _parses(body):
        return body
    return _last_function(body, entry_point) or body.strip()


def sanitize(code: str, entry_point: str | None = None) -> str:
    """EvalPlus's clean-up: the imports, then the first top-level definition of each name
    (functions that return or yield, classes, assignments), only those the entry point reaches
    when it is defined. Code that does not parse comes back unchanged."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code
    imports: list[ast.stmt] = []
    definitions: dict[str, ast.stmt] = {}
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            imports.append(node)
        elif (name := _defined_name(node)) is not None:
            definitions.setdefault(name, node)
    kept = set(definitions)
    if entry_point in definitions:
        kept = _reachable(entry_point, definitions)
    lines = code.splitlines()
    chosen = imports + [node for name, node in definitions.items() if name in kept]
    return "\n".join("\n".join(lines[_first_line(node) - 1 : node.end_lineno]) for node in chosen)


def _parses(code: str) -> bool:
    if not code.strip():
        return False
    try:
        ast.parse(code)
    except (SyntaxError, ValueError):  # ValueError: a null byte
        return False
    return True


def _defines(code: str, name: str) -> bool:
    return any((match := _DEF.match(line)) and match["name"] == name for line in code.splitlines())


def _size(code: str) -> int:
    return sum(1 for line in code.splitlines() if line.strip())


def _last_function(text: str, entry_point: str | None) -> str | None:
    """The last complete top-level function in prose (the entry point's, when it is there),
    with its decorators and the imports written at the top level anywhere in the text."""
    lines = text.splitlines()
    matches = {number: _DEF.match(line) for number, line in enumerate(lines)}
    names = {number: match["name"] for number, match in matches.items() if match}
    starts = [number for number, name in names.items() if name == entry_point] or list(names)
    imports = list(dict.fromkeys(line for line in lines if _IMPORT.match(line) and _parses(line)))
    for start in reversed(starts):
        end = start + 1
        while end < len(lines) and (not lines[end].strip() or lines[end][0] in " \t"):
            end += 1
        while start > 0 and lines[start - 1].startswith("@"):
            start -= 1
        function = "\n".join(lines[start:end]).rstrip()
        if _parses(function):
            return "\n".join([*imports, function]) if imports else function
    return None


def _defined_name(node: ast.stmt) -> str | None:
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        gives = any(isinstance(n, ast.Return | ast.Yield | ast.YieldFrom) for n in ast.walk(node))
        return node.name if gives else None
    if isinstance(node, ast.ClassDef):
        return node.name
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        target = node.targets[0]
        return target.id if isinstance(target, ast.Name) else None
    if isinstance(node, ast.AnnAssign) and node.value is not None:
        return node.target.id if isinstance(node.target, ast.Name) else None
    return None


def _reachable(entry_point: str, definitions: dict[str, ast.stmt]) -> set[str]:
    """The definitions the entry point uses, directly or through others."""
    seen, frontier = {entry_point}, [entry_point]
    while frontier:
        node = definitions.get(frontier.pop())
        if node is None:
            continue
        for inner in ast.walk(node):
            used = inner.id if isinstance(inner, ast.Name) else getattr(inner, "attr", None)
            if used in definitions and used not in seen:
                seen.add(used)
                frontier.append(used)
    return seen


def _first_line(node: ast.stmt) -> int:
    decorators = getattr(node, "decorator_list", [])
    return min([node.lineno, *(decorator.lineno for decorator in decorators)])
