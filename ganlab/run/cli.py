"""What ganlab's entry points do with errors: one line and an exit code, 2 for usage errors
and 1 for runtime failures, no traceback unless HYDRA_FULL_ERROR=1.

Hydra reports its own usage errors (an unknown key, an unknown group choice — with the list of
valid ones —, a malformed override) well, but exits with 1 like any failure. It reports them
while composing the config, before it starts the run and calls the `Composed` callback; a
failure after that point is the task's. `run` turns a Hydra exit 1 from before that point
into exit 2.
"""

import os
import sys
from collections.abc import Callable
from typing import Any, NoReturn

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from ganlab.errors import GanlabError, one_line, user_error_of

composed = False


class Composed(Callback):
    """Hydra callback that notes that the config composed (registered in conf/hydra/)."""

    def on_run_start(self, config: DictConfig, **kwargs: Any) -> None:
        global composed
        composed = True

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        global composed
        composed = True


def run(main: Callable[[], Any]) -> None:
    """Call a `@hydra.main` function; Hydra's composition errors exit 2 instead of 1."""
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
    """Print `ganlab: error: <message>` on one line and exit with the error's code; with
    HYDRA_FULL_ERROR=1 raise it instead, traceback and all."""
    if full_error_wanted():
        raise error
    print(f"ganlab: error: {one_line(error)}", file=sys.stderr)
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
