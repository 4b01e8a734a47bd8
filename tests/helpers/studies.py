"""The study presets (conf/sweep/) as Hydra's basic sweeper expands them, without running."""

import functools
from pathlib import Path

from hydra import compose, initialize_config_dir
from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.core.override_parser.overrides_parser import OverridesParser

from ganlab.run.config import CONF_DIR

PLUGINS = {
    "joblib": "hydra_plugins.hydra_joblib_launcher",
    "slurm": "hydra_plugins.hydra_submitit_launcher",
}
STUDIES = sorted(p.stem for p in (Path(CONF_DIR) / "sweep").glob("*.yaml"))
GRID_STUDIES = [study for study in STUDIES if study not in PLUGINS]
"""The studies Hydra's basic sweeper launches (the others need a plugin's sweeper)."""


@functools.cache
def composed(*overrides: str):
    """The training config with Hydra's own (cached: composing takes ~1 s here)."""
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        return compose("train", overrides=list(overrides), return_hydra_config=True)


def jobs(study: str, *extra: str) -> list[list[str]]:
    """The override list of each job Hydra's basic sweeper launches for `sweep=study`."""
    params = composed(f"sweep={study}", *extra).hydra.sweeper.params
    lines = [f"{key}={value}" for key, value in params.items()]
    parsed = OverridesParser.create().parse_overrides(lines)
    (batch,) = BasicSweeper.split_arguments(parsed, None)
    return batch
