"""Errors a user can cause, each carrying a message that says what is wrong and how to fix it.

Entry points print `ganlab: error: <message>` and exit with `exit_code`, without a traceback
(set HYDRA_FULL_ERROR=1 to see one): `exit_with` does exactly that.
"""

import os
import sys
from typing import NoReturn


class GanlabError(Exception):
    """Base class: a problem the user can fix; `exit_code` 1 means a runtime failure."""

    exit_code = 1


class UsageError(GanlabError):
    """A bad config value, option or path given by the user (exit code 2)."""

    exit_code = 2


class DataNotFoundError(UsageError):
    """The data set is not on disk and cannot be downloaded."""


class DivergenceError(GanlabError):
    """Training produced non-finite losses or weights (exit code 1, a runtime failure)."""


def one_line(message: object) -> str:
    return " ".join(str(message).split())


def exit_with(error: GanlabError) -> NoReturn:
    """Print `ganlab: error: <message>` on one line and exit with the error's code; with
    HYDRA_FULL_ERROR=1 raise it instead, traceback and all."""
    if os.environ.get("HYDRA_FULL_ERROR") == "1":
        raise error
    print(f"ganlab: error: {one_line(error)}", file=sys.stderr)
    sys.exit(error.exit_code)
