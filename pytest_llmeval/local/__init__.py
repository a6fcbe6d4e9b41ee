"""The local model: llama-server presets, set-up and lifecycle (``--llm-serve``)."""
