"""The one redaction step: the API keys of this run never leave it, whatever a server sends.

Every text the harness relays or writes (error messages, records, the terminal) goes through
a Redactor holding the model's and the judge's keys. Values shorter than MIN_LENGTH are not
treated as secrets (a key like "EMPTY" or "k" would otherwise blank ordinary words).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

MIN_LENGTH = 6
MASK = "***"


class Redactor:
    def __init__(self, secrets: Iterable[str | None]) -> None:
        found = {s for s in secrets if s and len(s) >= MIN_LENGTH}
        self._secrets = sorted(found, key=len, reverse=True)  # a key inside another: longest first

    def text(self, value: str) -> str:
        """A message to show: no key, and writable to any UTF-8 terminal or file."""
        return printable(self._mask(value))

    def _mask(self, value: str) -> str:
        for secret in self._secrets:
            if secret in value:
                value = value.replace(secret, MASK)
        return value

    def deep(self, value: Any) -> Any:
        """Strings anywhere in plain data (dicts, lists), keys included."""
        if not self._secrets:
            return value
        if isinstance(value, str):
            return self._mask(value)
        if isinstance(value, dict):
            return {self.deep(k): self.deep(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.deep(v) for v in value]
        return value


def printable(text: str) -> str:
    """Lone surrogates (valid in JSON, not in UTF-8) written as their escapes."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text
