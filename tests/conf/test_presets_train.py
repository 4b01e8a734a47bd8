"""Every experiment preset, and a job of every study, trains on fixture data in its real
on-disk layout: the preset's own networks and procedure, only the batch and the length cut
down (2 generator updates of 2-image batches)."""

from pathlib import Path

import pytest
import torch
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate

from ganlab.run.config import CONF_DIR
from ganlab.run.fit import build_model
from ganlab.run.rules import check_config
from tests.helpers import quiet_trainer, write_mnist
from tests.helpers.layouts import write_bricks, write_celeba
from tests.helpers.studies import GRID_STUDIES, jobs

EXPERIMENTS = sorted(p.stem for p in (Path(CONF_DIR) / "experiment").glob("*.yaml"))
STEPS = 2
SHRUNK = ["data.batch_size=2", f"trainer.max_steps={STEPS}", "cpu_tricks=false"]

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def data_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """MNIST (both splits), LEGO bricks and CelebA side by side, as under one data.root."""
    root = tmp_path_factory.mktemp("layouts")
    write_mnist(root, splits=("train", "test"), count=16)
    write_bricks(root)
    write_celeba(root, count=20)
    return root


def trains(root: Path, *overrides: str) -> None:
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        cfg = compose("train", overrides=[*overrides, f"data.root={root}", *SHRUNK])
    if "num_workers" in cfg.data:
        cfg.data.num_workers = 0
    check_config(cfg)
    datamodule = instantiate(cfg.data, _convert_="all")
    datamodule.prepare_data()
    model = build_model(cfg, datamodule)
    datamodule.batch_multiple = model.real_batches_per_step
    trainer = quiet_trainer(STEPS)
    trainer.fit(model, datamodule=datamodule)
    assert trainer.global_step == STEPS
    losses = {k: v for k, v in trainer.callback_metrics.items() if k.endswith("_loss_step")}
    assert losses and all(torch.isfinite(v) for v in losses.values()), losses


@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_every_experiment_trains_on_its_data_layout(experiment, data_root):
    trains(data_root, f"experiment={experiment}")


@pytest.mark.parametrize("study", GRID_STUDIES)
def test_the_last_job_of_every_study_trains(study, data_root):
    trains(data_root, f"sweep={study}", *jobs(study)[-1])
