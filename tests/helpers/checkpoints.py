"""Short real training runs, in process, that leave a checkpoint for generate/evaluate tests."""

from pathlib import Path

from hydra import compose, initialize_config_dir

from ganlab.run.config import CONF_DIR
from ganlab.run.fit import train
from tests.helpers import REPO, TINY

SHARED = REPO.parent / "shared"


def compose_train(*overrides: str):
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        return compose("train", overrides=list(overrides))


def train_run(mnist_root: Path, run_dir: Path, *extra: str) -> Path:
    """Train `model=dcgan` for 2 generator steps on the fixture; return the run folder."""
    cfg = compose_train(
        f"data.root={mnist_root}",
        "data.splits=[test]",
        "trainer.max_steps=2",
        f"paths.output_dir={run_dir}",
        "logger=none",
        "seed=1",
        *TINY,
        *extra,
    )
    train(cfg)
    return run_dir
