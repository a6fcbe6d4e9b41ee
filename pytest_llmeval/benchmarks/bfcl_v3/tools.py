"""What the model is shown for BFCL v3 (spec section 5): native tools or the v3 prompt.

Mirrors bfcl-eval 2025.8.6.2 for an OpenAI-Completions model: ``_compile_tools`` (FC mode) and
``_pre_query_processing_prompting`` (prompt mode), both of which first run
``func_doc_language_specific_pre_processing`` on the docs.  Inputs are never mutated (the
official code edits the test entry in place).
"""

from __future__ import annotations

import json

DEFAULT_SYSTEM_PROMPT = (
    "You are an expert in composing functions. You are given a question and a set of possible "
    "functions. Based on the question, you will need to make one or more function/tool calls to "
    "achieve the purpose.\n"
    "If none of the functions can be used, point it out. If the given question lacks the "
    "parameters required by the function, also point it out.\n"
    "You should only return the function calls in your response.\n"
    "\n"
    "If you decide to invoke any of the function(s), you MUST put it in the format of "
    "[func_name1(params_name1=params_value1, params_name2=params_value2...), func_name2(params)]\n"
    "You SHOULD NOT include any other text in the response.\n"
    "\n"
    "At each turn, you should try your best to complete the tasks requested by the user within "
    "the current turn. Continue to output functions to call until you have fulfilled the user's "
    "request to the best of your ability. Once you have no more functions to call, the system "
    "will consider the current turn complete and proceed to the next turn or task.\n"
    "\n"
    "Here is a list of functions in JSON format that you can invoke.\n"
    "{functions}\n"
    "\n"
)
"""v3 ``constants/default_prompts.py:DEFAULT_SYSTEM_PROMPT``, character for character."""

GORILLA_TO_OPENAPI: dict[str, str] = {
    "integer": "integer",
    "number": "number",
    "float": "number",
    "string": "string",
    "boolean": "boolean",
    "bool": "boolean",
    "array": "array",
    "list": "array",
    "dict": "object",
    "object": "object",
    "tuple": "array",
    "any": "string",
    "byte": "integer",
    "short": "integer",
    "long": "integer",
    "double": "number",
    "char": "string",
    "ArrayList": "array",
    "Array": "array",
    "HashMap": "object",
    "Hashtable": "object",
    "Queue": "array",
    "Stack": "array",
    "Any": "string",
    "String": "string",
    "Bigint": "integer",
}
"""Official ``constants/type_mappings.py:GORILLA_TO_OPENAPI``."""

_LANGUAGE_HINTS = {
    "java": " Note that the provided function is in Java 8 SDK syntax.",
    "javascript": " Note that the provided function is in JavaScript syntax.",
}
_PYTHON_HINT = " Note that the provided function is in Python 3 syntax."
_FLOAT_HINT = " This is a float type value."


def language_preprocess(func_docs: list[dict], subset: str) -> list[dict]:
    """``func_doc_language_specific_pre_processing`` on a deep copy.

    Every description gets the language hint; for ``java`` / ``javascript`` (exact category
    names, as the official ``id.rsplit("_", 1)[0]`` gives them) every parameter becomes a
    ``"string"`` of source text, its real type told in the description.
    """
    docs = json.loads(json.dumps(func_docs))  # a deep copy of JSON data, ~5x faster than copy's
    for doc in docs:
        doc["description"] += _LANGUAGE_HINTS.get(subset, _PYTHON_HINT)
        for schema in doc["parameters"]["properties"].values():
            if subset == "java":
                _stringify_java_param(schema)
            elif subset == "javascript":
                _stringify_js_param(schema)
    return docs


def _stringify_java_param(schema: dict) -> None:
    type_name = schema["type"]
    if type_name == "any":
        _describe(
            schema, " This parameter can be of any type of Java object in string representation."
        )
    else:
        _describe(schema, f" This is Java {type_name} type parameter in string representation.")
    if type_name in ("ArrayList", "Array"):
        _move_items_to_description(schema)
    schema["type"] = "string"


def _stringify_js_param(schema: dict) -> None:
    type_name = schema["type"]
    if type_name == "any":
        _describe(
            schema,
            " This parameter can be of any type of JavaScript object in string representation.",
        )
    else:
        _describe(
            schema, f" This is JavaScript {type_name} type parameter in string representation."
        )
    if type_name == "array":
        _move_items_to_description(schema)
    if type_name == "dict" and "properties" in schema:
        properties = json.dumps(schema.pop("properties"))
        _describe(
            schema,
            " The dictionary entries have the following schema; they are not in string "
            f"representation. {properties}",
        )
    schema["type"] = "string"


def _move_items_to_description(schema: dict) -> None:
    item_type = schema.pop("items")["type"]
    _describe(
        schema,
        f" The list elements are of type {item_type}; they are not in string representation.",
    )


def _describe(schema: dict, note: str) -> None:
    """Append to the description (official code assumes one exists; absent means empty)."""
    schema["description"] = schema.get("description", "") + note


def to_openai_tools(func_docs: list[dict], subset: str) -> list[dict]:
    """FC mode: ``convert_to_tool(.., GORILLA_TO_OPENAPI, OpenAI_Completions)`` after the
    language preprocessing.  Dotted names become ``_`` (param names never change);
    ``enum``/``default``/``required``/``response`` and other fields are kept.
    """
    return [_to_openai_tool(doc) for doc in language_preprocess(func_docs, subset)]


def _to_openai_tool(doc: dict) -> dict:
    doc["name"] = doc["name"].replace(".", "_")
    doc["parameters"]["type"] = "object"
    _cast_properties(doc["parameters"]["properties"])
    return {"type": "function", "function": doc}


def _cast_properties(properties: dict) -> None:
    """``_cast_to_openai_type``: map each type (missing or unknown → string), then recurse."""
    for schema in properties.values():
        _cast_type(schema)
        if schema["type"] in ("array", "object"):
            if "properties" in schema:
                _cast_properties(schema["properties"])
            elif "items" in schema:
                _cast_items(schema["items"])


def _cast_type(schema: dict) -> None:
    """A ``float`` also gets ``format: float`` and a description hint."""
    if "type" not in schema:
        schema["type"] = "string"
        return
    if schema["type"] == "float":
        schema["format"] = "float"
        _describe(schema, _FLOAT_HINT)
    schema["type"] = GORILLA_TO_OPENAPI.get(schema["type"], "string")


def _cast_items(items: dict) -> None:
    """Item type, then the items of an array of arrays or the properties of an array of objects."""
    items["type"] = _openai_type(items["type"])
    if items["type"] == "array" and "items" in items:
        items["items"]["type"] = _openai_type(items["items"]["type"])
    elif items["type"] == "object" and "properties" in items:
        _cast_properties(items["properties"])


def _openai_type(type_name: str) -> str:
    """Item types have no fallback officially (KeyError); the v3 data has no unknown ones."""
    try:
        return GORILLA_TO_OPENAPI[type_name]
    except KeyError:
        raise ValueError(f"item type {type_name!r} has no OpenAPI mapping in BFCL") from None


def prompt_system_message(func_docs: list[dict], subset: str) -> str:
    """The v3 system prompt with the preprocessed docs as a Python repr (not JSON)."""
    return DEFAULT_SYSTEM_PROMPT.format(functions=str(language_preprocess(func_docs, subset)))


def apply_prompt_mode(messages: list[dict], func_docs: list[dict], subset: str) -> list[dict]:
    """``system_prompt_pre_processing_chat_model`` on a copy of ``messages``.

    An existing first system message becomes ``prompt + "\\n\\n" + its content``; otherwise the
    prompt is inserted as a new first system message.
    """
    prompt = prompt_system_message(func_docs, subset)
    result = [dict(message) for message in messages]
    if result and result[0]["role"] == "system":
        result[0]["content"] = prompt + "\n\n" + result[0]["content"]
    else:
        result.insert(0, {"role": "system", "content": prompt})
    return result
