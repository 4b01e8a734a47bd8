"""What ganlab's entry points do with errors: one line and an exit code, 2 for usage errors
and 1 for runtime failures, no traceback unless HYDRA_FULL_ERROR=1 (docs/reliability.md)."""

import os
import sys
from collections.abc import Callable
from typing import Any, NoReturn

from hydra.experimental.callback import Callback

from ganlab.errors import GanlabError, one_line, user_error_of

composed = False


class Composed(Callback):
    """Hydra callback that notes that the config composed (registered in conf/hydra/)."""

    def on_run_start(self, *args: Any, **kwargs: Any) -> None:
        global composed
        composed = True

    on_multirun_start = on_run_start


def run(main: Callable[[], Any]) -> None:
    """Call a `@hydra.main` function; Hydra's own usage errors (an unknown key, a malformed
    override), raised before the `Composed` callback runs, exit 2 instead of 1."""
    global composed
    composed = False
    try:
        main()
    except SystemExit as exit:
        if exit.code == 1 and not composed:
            raise SystemExit(2) from None
        raise


def full_error_wanted() -> bool:
    return os.environ.get("HYDRA_FULL_ERROR") == "1"


def exit_with(error: GanlabError) -> NoReturn:
    """`ganlab: error: <message>` and the error's exit code (HYDRA_FULL_ERROR=1: raise it);
    an exit code 0 (nothing to do) is a note."""
    if full_error_wanted() and error.exit_code:
        raise error
    print(f"ganlab: {'error' if error.exit_code else 'note'}: {one_line(error)}", file=sys.stderr)
    sys.exit(error.exit_code)


def run_reporting_errors(task: Callable[..., Any], *args: Any) -> Any:
    """Run `task`; a user error anywhere in the cause chain goes through `exit_with`."""
    try:
        return task(*args)
    except Exception as error:
        user_error = user_error_of(error)
        if user_error is None or full_error_wanted():
            raise
        exit_with(user_error)
