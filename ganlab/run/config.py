"""Where the configs are: `conf/` at the top of a source checkout, shipped inside the
installed package as `ganlab/conf` (pyproject maps one onto the other), so both a clone and a
wheel find the same files. Users add their own with Hydra's `--config-dir` / `hydra.searchpath`."""

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent


def config_dir() -> Path:
    """`ganlab/conf` in an installed package, else the checkout's top-level `conf/`."""
    installed = PACKAGE / "conf"
    return installed if installed.is_dir() else PACKAGE.parent / "conf"


CONF_DIR = str(config_dir())
