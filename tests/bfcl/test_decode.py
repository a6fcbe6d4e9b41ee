"""Spec 3.1 and 3.9 (format / empty checks): decoding a reply into ``[{name: {param: value}}]``.

The Java/JavaScript expectations are what the official ``java_parser`` / ``js_parser`` of
bfcl-eval 2025.8.6.2 (tree-sitter 0.21.3) return for the same text.
"""

import importlib.util
import sys

import pytest

from pytest_llmeval.benchmarks.bfcl_v3 import source_parsers
from pytest_llmeval.benchmarks.bfcl_v3.decode import (
    DecodeError,
    decode_fc,
    decode_prompt,
    is_empty_output,
    is_function_calling_format,
)
from pytest_llmeval.records import ToolCall

needs_tree_sitter = pytest.mark.skipif(
    importlib.util.find_spec("tree_sitter_java") is None
    or importlib.util.find_spec("tree_sitter_javascript") is None,
    reason=source_parsers.INSTALL_HINT,
)

# --- FC mode ---


def test_fc_calls_decode_in_order_with_json_arguments():
    calls = [ToolCall("f", '{"a": 1, "b": [true, null]}', "c1"), ToolCall("g_h", "{}", "c2")]
    assert decode_fc(calls) == [{"f": {"a": 1, "b": [True, None]}}, {"g_h": {}}]


@pytest.mark.parametrize("arguments", ['{"a": 1', "", "not json"])
def test_fc_invalid_json_is_a_decode_failure(arguments):
    with pytest.raises(DecodeError):
        decode_fc([ToolCall("f", arguments)])


def test_fc_without_calls_decodes_to_empty_list_for_the_caller_to_judge():
    assert decode_fc([]) == []


def test_fc_non_object_arguments_decode_but_fail_the_format_check():
    decoded = decode_fc([ToolCall("f", "5")])
    assert decoded == [{"f": 5}]
    assert not is_function_calling_format(decoded)


# --- prompt mode, step 1-2: stripping and brackets ---


@pytest.mark.parametrize(
    "text",
    [
        "[f(a=1)]",
        "f(a=1)",
        "  [f(a=1)]\n",
        "```\n[f(a=1)]\n```",
        "'[f(a=1)]'",
        "[f(a=1)",
        "f(a=1)]",
    ],
)
def test_prompt_strips_backticks_quotes_and_adds_missing_brackets(text):
    assert decode_prompt(text) == [{"f": {"a": 1}}]


def test_prompt_without_brackets_reads_several_calls():
    assert decode_prompt("f(a=1), g(b='x')") == [{"f": {"a": 1}}, {"g": {"b": "x"}}]


@pytest.mark.parametrize("text", ["```python\n[f(a=1)]\n```", "```json\n[f(a=1)]\n```"])
def test_prompt_fence_with_language_tag_fails(text):
    with pytest.raises(DecodeError):
        decode_prompt(text)


@pytest.mark.parametrize("text", ["", "[]", "   ", "I cannot help with that."])
def test_prompt_empty_or_prose_fails(text):
    with pytest.raises(DecodeError):
        decode_prompt(text)


# --- step 3: the body must be a call or a collection of calls ---


def test_prompt_tuple_and_set_of_calls_are_accepted_like_v3_ast_parse():
    assert decode_prompt("(f(a=1), g(b=2))") == [{"f": {"a": 1}}, {"g": {"b": 2}}]
    assert decode_prompt("{f(a=1)}") == [{"f": {"a": 1}}]


def test_prompt_empty_tuple_decodes_to_no_call():
    assert decode_prompt("()") == []


@pytest.mark.parametrize("text", ["[f(a=1), 5]", "[x]", "[1 + 2]", "['text']", "[f(a=1) + g()]"])
def test_prompt_non_call_elements_fail(text):
    with pytest.raises(DecodeError):
        decode_prompt(text)


# --- step 4: dotted names ---


def test_prompt_dotted_name_is_joined():
    assert decode_prompt("[math.geometry.area(r=2)]") == [{"math.geometry.area": {"r": 2}}]


def test_prompt_name_keeps_only_the_attribute_chain_after_a_non_name_base():
    assert decode_prompt("[x[0].run(a=1)]") == [{"run": {"a": 1}}]


# --- step 5: keyword arguments only ---


def test_prompt_positional_arguments_are_silently_dropped():
    assert decode_prompt("[f(5, 'x', a=1)]") == [{"f": {"a": 1}}]
    assert decode_prompt("[f(5)]") == [{"f": {}}]


# --- step 6: values ---


@pytest.mark.parametrize(
    ("source", "value"),
    [
        ("'text'", "text"),
        ("3", 3),
        ("2.5", 2.5),
        ("True", True),
        ("None", None),
        ("...", "..."),
        ("-4", -4),
        ("-2.5", -2.5),
        ("[1, 'a', [2]]", [1, "a", [2]]),
        ("{'k': [1, 2], 3: None}", {"k": [1, 2], 3: None}),
        ("(1, 2)", (1, 2)),
        ("celsius", "celsius"),
        ("x[1:2]", "x[1:2]"),
        ("x[1, 2]", "x[(1, 2)]"),
        ("data['key']", "data['key']"),
        ("np.array( [1,2] )", "np.array([1, 2])"),
        ("Point(x=1, y=2)", {"Point": {"x": 1, "y": 2}}),
        ("Point(1, y=2)", {"Point": {"y": 2}}),
    ],
)
def test_prompt_value_shapes(source, value):
    decoded = decode_prompt(f"[f(v={source})]")
    assert decoded == [{"f": {"v": value}}]
    assert type(decoded[0]["f"]["v"]) is type(value)


@pytest.mark.parametrize(
    ("source", "value"),
    [("+5", -5), ("not True", -1), ("~3", -3), ("-True", -1)],
)
def test_prompt_every_unary_operator_negates_like_the_official_decoder(source, value):
    assert decode_prompt(f"[f(v={source})]") == [{"f": {"v": value}}]


@pytest.mark.parametrize("source", ["-x", "--1", "-(1 + 2)", "-'a'", "-None"])
def test_prompt_unary_on_a_non_number_literal_fails(source):
    with pytest.raises(DecodeError):
        decode_prompt(f"[f(v={source})]")


@pytest.mark.parametrize(
    ("source", "value"),
    [
        ("1 + 2", 3),
        ("2 ** -1", 0.5),
        ("7 // 2", 3),
        ("-1 + 0.5", -0.5),
        ("'ab' * 2", "abab"),
        ("[1] * 3", [1, 1, 1]),
        ("(1, 2) + (3,)", (1, 2, 3)),
        ("'%d items' % 5", "5 items"),
        ("{'a': 1} | {'b': 2}", {"a": 1, "b": 2}),
        ("1 << 4", 16),
    ],
)
def test_prompt_arithmetic_on_literals_is_computed(source, value):
    assert decode_prompt(f"[f(v={source})]") == [{"f": {"v": value}}]


@pytest.mark.parametrize(
    "source",
    [
        "x + 1",
        "len('ab') + 1",
        "__import__('os').getpid() + 1",
        "(lambda: 1)() + 1",
        "1 / 0",
        "'a' - 1",
        "2 ** 10 ** 8",
        "'a' * 10 ** 9",
        "1 << 10 ** 9",
        "'%*d' % (10 ** 9, 1)",
    ],
)
def test_prompt_arithmetic_never_runs_code_or_builds_huge_values(source):
    with pytest.raises(DecodeError):
        decode_prompt(f"[f(v={source})]")


@pytest.mark.parametrize(
    "source",
    [
        "lambda x: x",
        "{1, 2}",
        "f'{x}'",
        "math.pi",
        "1 < 2",
        "a and b",
        "x if y else z",
        "[*x]",
        "{**d}",
        "{[1]: 2}",
    ],
)
def test_prompt_unsupported_values_fail(source):
    with pytest.raises(DecodeError):
        decode_prompt(f"[f(v={source})]")


# --- Java prompt mode (official java_parser) ---


def java(text):
    return decode_prompt(text, "Java")


def javascript(text):
    return decode_prompt(text, "JavaScript")


@needs_tree_sitter
def test_java_named_arguments_keep_their_source_text():
    assert java("[Obj.method(a=1, b=true, c=5L, d=1.5f, e=null)]") == [
        {"Obj.method": {"a": "1", "b": "true", "c": "5L", "d": "1.5f", "e": "null"}}
    ]


@needs_tree_sitter
@pytest.mark.parametrize(
    ("text", "name"),
    [("[a.b.method(x=1, y=2)]", "a.b.method"), ("[this.f(x=1, y=2)]", "this.f")],
)
def test_java_class_qualified_names(text, name):
    assert java(text) == [{name: {"x": "1", "y": "2"}}]


@needs_tree_sitter
@pytest.mark.parametrize("text", ["f(a=1, b=2)", "```\n[f(a=1, b=2)]\n```", "[f(a+=1, b=2)]"])
def test_java_brackets_added_bare_fence_stripped_assignment_operator_ignored(text):
    assert java(text) == [{"f": {"a": "1", "b": "2"}}]


@needs_tree_sitter
def test_java_strings_lose_their_quotes_at_the_top_level_only():
    assert java("""[f(a="x y", b='c', c=new String[]{"p", "q"}, d="x" + "y")]""") == [
        {"f": {"a": "x y", "b": "c", "c": 'new String[]{"p","q"}', "d": '"x"+"y"'}}
    ]


@needs_tree_sitter
@pytest.mark.parametrize(
    ("source", "value"),
    [
        ("new int[]{1, 2}", "new int[]{1,2}"),
        ("new int[][]{{1}, {2}}", "new int[]{{1},{2}}"),
        ("new ArrayList<>(Arrays.asList(1, 2))", "new ArrayList<>(Arrays.asList(1, 2))"),
        (
            'new ArrayList<String>(Arrays.asList("a", "b"))',
            'new ArrayList<String>(Arrays.asList("a", "b"))',
        ),
        ('new HashMap<String, Object>() {{ put("k", 1); }}', "new HashMap<String,Object>()"),
        ('new Foo(1, "x", bar)', 'new Foo(1, "x", bar)'),
        ("new Foo<Bar>(new Baz(1))", "new Foo<Bar>(new Baz(1))"),
        ("List.of(1,  2)", "List.of(1,  2)"),
        ("g(b=1)", "g(b=1)"),
        ("Foo.class", "Foo.class"),
        ("1 + 2", "1+2"),
        ("-5", "-5"),
        ("x -> x + 1", "x->x+1"),
        ("cond ? 1 : 2", "cond?1:2"),
        ('"""\ntext"""', '""\ntext""'),
    ],
)
def test_java_values_are_rebuilt_from_the_tree(source, value):
    """Leaves joined without whitespace; calls verbatim; a double-brace body is dropped."""
    assert java(f"[f(a={source}, b=2)]") == [{"f": {"a": value, "b": "2"}}]


@needs_tree_sitter
def test_java_bare_class_literal_is_kept_under_none_other_bare_values_are_dropped():
    assert java("[f(Foo.class, b=2)]") == [{"f": {None: "Foo.class", "b": "2"}}]
    assert java('[f(5, "s", b=2)]') == [{"f": {"b": "2"}}]


@needs_tree_sitter
@pytest.mark.parametrize("text", ["[f(a=1); g(b=2);]", "[f(a=1);]"])
def test_java_only_the_first_call_is_read(text):
    assert java(text) == [{"f": {"a": "1"}}]


@needs_tree_sitter
@pytest.mark.parametrize("text", ["[f(a=1, a=2)]", "[f(Foo.class, Bar.class)]"])
def test_java_repeated_argument_name_fails(text):
    with pytest.raises(DecodeError):
        java(text)


@needs_tree_sitter
@pytest.mark.parametrize(
    "text",
    [
        "[f(a=1), g(b=2)]",
        "[f(a=)]",
        "[x]",
        "I cannot do that.",
        "```java\n[f(a=1, b=2)]\n```",
        "[f(a=new int[3], b=2)]",
        # tree-sitter's error recovery: an ERROR node here, only a MISSING ";" with two args
        "[f(a=1)]",
        '[f(a="x")]',
    ],
)
def test_java_parse_errors_fail(text):
    with pytest.raises(DecodeError):
        java(text)


@needs_tree_sitter
def test_java_missing_semicolon_alone_is_not_an_error():
    """Official: only ``ERROR`` in the s-expression counts; ``(MISSING ";")`` does not."""
    assert java('[func(a="x")]') == [{"func": {"a": "x"}}]


@needs_tree_sitter
def test_java_text_is_sliced_by_byte_offsets_like_the_official_get_text():
    assert java('[f(a="é", b="x")]') == [{"f": {"a": 'é"', "=": '"'}}]


@needs_tree_sitter
@pytest.mark.parametrize("text", ["[]", ""])
def test_java_without_a_call_decodes_to_a_non_list(text):
    decoded = java(text)
    assert decoded == {}
    assert not is_function_calling_format(decoded)


# --- JavaScript prompt mode (official js_parser) ---


@needs_tree_sitter
def test_javascript_named_arguments_keep_their_source_text():
    assert javascript("""[obj.method(a=1, b="x", c='y', d=true, e=null)]""") == [
        {"obj.method": {"a": "1", "b": "x", "c": "y", "d": "true", "e": "null"}}
    ]


@needs_tree_sitter
@pytest.mark.parametrize(
    ("source", "value"),
    [
        ("[1, 'x']", "[1, 'x']"),
        ('{k: "v", n: [1, 2]}', '{k: "v", n: [1, 2]}'),
        ("(x) => x + 1", "(x) => x + 1"),
        ("function(y) { return y; }", "function(y) { return y; }"),
        ("`t ${x}`", "`t ${x}`"),
        ("g(b=1)", "g(b=1)"),
        ("'a' + 'b'", "a' + 'b"),
        ("'\"q\"'", '"q"'),
    ],
)
def test_javascript_values_are_their_text_less_one_pair_of_outer_quotes(source, value):
    assert javascript(f"[f(a={source})]") == [{"f": {"a": value}}]


@needs_tree_sitter
@pytest.mark.parametrize(
    ("text", "arguments"),
    [("[f(x)]", {None: "x"}), ("[f(true)]", {None: "true"}), ("[f(false)]", {}), ("[f(1)]", {})],
)
def test_javascript_bare_identifier_or_true_is_kept_under_none(text, arguments):
    assert javascript(text) == [{"f": arguments}]


@needs_tree_sitter
def test_javascript_only_the_first_call_statement_is_read():
    assert javascript("[f(a=1); g(b=2)]") == [{"f": {"a": "1"}}]


@needs_tree_sitter
@pytest.mark.parametrize("text", ["[f(a=1), g(b=2)]", "[x]", "[]", ""])
def test_javascript_without_a_call_statement_decodes_to_a_non_list(text):
    """A comma makes a sequence expression, whose calls the official parser never visits."""
    decoded = javascript(text)
    assert decoded == {}
    assert not is_function_calling_format(decoded)


@needs_tree_sitter
@pytest.mark.parametrize(
    "text",
    ["[f(a=1, a=2)]", "[f(x, y)]", "[f(a=)]", "I cannot do that.", "```javascript\n[f(a=1)]\n```"],
)
def test_javascript_repeated_names_and_parse_errors_fail(text):
    with pytest.raises(DecodeError):
        javascript(text)


# --- languages and the optional dependency ---


def test_unknown_language_is_a_caller_error():
    with pytest.raises(ValueError, match="unsupported language"):
        decode_prompt("[f(a=1)]", "Rust")


@pytest.fixture
def without_tree_sitter(monkeypatch):
    monkeypatch.setitem(sys.modules, "tree_sitter", None)
    source_parsers._parser.cache_clear()
    yield
    source_parsers._parser.cache_clear()


@pytest.mark.parametrize("language", ["Java", "JavaScript"])
def test_missing_tree_sitter_names_the_install_command(without_tree_sitter, language):
    with pytest.raises(DecodeError, match=source_parsers.INSTALL_HINT):
        decode_prompt("[f(a=1, b=2)]", language)


def test_python_replies_never_need_tree_sitter(without_tree_sitter):
    assert decode_prompt("[f(a=1)]") == [{"f": {"a": 1}}]


# --- format and empty checks ---


@pytest.mark.parametrize("decoded", [[], [{"f": {}}], [{"f": {"a": 1}}, {"g": {}}]])
def test_function_calling_format_accepts_lists_of_one_key_dicts_of_dicts(decoded):
    assert is_function_calling_format(decoded)


@pytest.mark.parametrize(
    "decoded",
    [None, "text", ({"f": {}},), [{}], [{"f": 1}], [{"f": {}, "g": {}}], [["f"]], [{"f": None}]],
)
def test_function_calling_format_rejects_other_shapes(decoded):
    assert not is_function_calling_format(decoded)


@pytest.mark.parametrize("decoded", [[], [{}], None, "text", [{"f": 1}]])
def test_empty_output(decoded):
    assert is_empty_output(decoded)


def test_a_call_without_arguments_is_not_empty():
    assert not is_empty_output([{"f": {}}])
