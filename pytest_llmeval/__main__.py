"""`python -m pytest_llmeval view RUN_DIR ...`: the same as the `pytest-llmeval` command."""

import sys

from .cli import main

sys.exit(main())
