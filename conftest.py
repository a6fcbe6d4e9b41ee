"""Root conftest: the plugin itself loads through its `pytest11` entry point (pip install -e .).

Performance scripts under bench/ print numbers and are run on demand, never collected as tests.
"""

collect_ignore = ["bench"]
