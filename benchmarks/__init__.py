"""The built-in benchmarks as pytest modules (installed as `pytest_llmeval.suites`)."""
