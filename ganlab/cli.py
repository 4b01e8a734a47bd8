"""What every ganlab entry point does with an error the user can fix: one line, an exit code."""

import os
import sys
from collections.abc import Callable
from typing import Any

from ganlab.errors import GanlabError


def user_error_of(error: BaseException | None) -> GanlabError | None:
    """The GanlabError behind an exception (Hydra's instantiate wraps what constructors raise)."""
    while error is not None:
        if isinstance(error, GanlabError):
            return error
        error = error.__cause__
    return None


def run_reporting_errors(task: Callable[..., Any], *args: Any) -> Any:
    """Run `task`; a user error prints `ganlab: error: …` and exits with its code (2 for
    usage, 1 for runtime failures), without a traceback unless HYDRA_FULL_ERROR=1."""
    try:
        return task(*args)
    except Exception as error:
        user_error = user_error_of(error)
        if user_error is None or os.environ.get("HYDRA_FULL_ERROR") == "1":
            raise
        print(f"ganlab: error: {user_error}", file=sys.stderr)
        sys.exit(user_error.exit_code)
