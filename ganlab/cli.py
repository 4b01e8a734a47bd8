"""Exit codes of ganlab's Hydra entry points: 2 for usage errors, 1 for runtime failures.

Hydra reports its own usage errors (an unknown key, an unknown group choice — with the list of
valid ones —, a malformed override) well, but exits with 1 like any failure. It reports them
while composing the config, before it starts the run and calls the `Composed` callback; a
failure after that point is the task's. `run` turns a Hydra exit 1 from before that point
into exit 2.
"""

from collections.abc import Callable
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

composed = False


class Composed(Callback):
    """Hydra callback that notes that the config composed (registered in conf/train.yaml)."""

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
