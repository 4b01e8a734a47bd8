"""Where the configs are: `conf/` in a checkout, shipped as `ganlab/conf` in the package (both
a clone and a wheel find the same files). Users add theirs with Hydra's `--config-dir`."""

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent
CONF_DIR = str(PACKAGE / "conf" if (PACKAGE / "conf").is_dir() else PACKAGE.parent / "conf")
