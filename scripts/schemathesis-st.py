"""schemathesis's `st` command with `ast.parse` serialised across threads.

Why: CPython 3.11 keeps the AST converter's recursion counter in state shared by
all threads (python/cpython#106905). With `--workers 2`, hypothesis describing two
strategies' lambdas at once (it parses their source) can fail with "AST constructor
recursion depth mismatch": a failure of the tool, not of the API under test, that
turned one CI run red. Parsing is rare and fast, so one lock costs nothing measurable.
"""

import ast
import sys
import threading

_parse_lock = threading.Lock()
_parse = ast.parse


def _serialised_parse(*args, **kwargs):
    with _parse_lock:
        return _parse(*args, **kwargs)


ast.parse = _serialised_parse

from schemathesis.cli import schemathesis  # noqa: E402  (after the patch, on purpose)

sys.argv[0] = "st"
sys.exit(schemathesis())
