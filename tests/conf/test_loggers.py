"""Logger presets: csv, wandb, mlflow beside tensorboard and none, several at once, and a
clear refusal when an optional logger's package is missing."""

import csv
import importlib.util

import pytest
import yaml

from tests.helpers import TINY
from tests.helpers.inprocess import SMALL, train_in_process
from tests.helpers.tensorboard_reader import image_tags


def run_args(mnist_root, run_dir, *extra):
    return [f"data.root={mnist_root}", "data.splits=[test]", f"hydra.run.dir={run_dir}",
            *TINY, *SMALL, *extra]  # fmt: skip


def test_tensorboard_and_csv_together(mnist_root, tmp_path):
    run_dir = tmp_path / "run"
    result = train_in_process(
        *run_args(mnist_root, run_dir, "trainer.max_steps=2", "logger=[tensorboard,csv]")
    )
    assert result.returncode == 0
    assert image_tags(run_dir / "tensorboard") == ["samples"]
    hparams = yaml.safe_load((run_dir / "csv" / "hparams.yaml").read_text())
    assert hparams["model.latent_dim"] == 16 and hparams["trainer.max_steps"] == 2
    with open(run_dir / "csv" / "metrics.csv") as file:
        rows = list(csv.DictReader(file))
    assert any(row.get("final/g_loss_epoch") for row in rows)
    assert any(row.get("g_loss_step") for row in rows), "the training scalars too"


@pytest.mark.parametrize("logger", ["wandb", "mlflow"])
def test_a_missing_optional_logger_is_one_line_exit_2_no_run_folder(
    logger, mnist_root, tmp_path, capsys
):
    if importlib.util.find_spec(logger) is not None:
        pytest.skip(f"{logger} is installed here")
    run_dir = tmp_path / "run"
    result = train_in_process(*run_args(mnist_root, run_dir, f"logger={logger}"), capsys=capsys)
    assert result.returncode == 2
    assert result.stderr == (
        f"ganlab: error: logger.{logger} needs the {logger} package, which is not installed: "
        f"pip install 'ganlab[{logger}]'"
        + ("; WANDB_MODE=offline then logs without an account" if logger == "wandb" else "")
        + "; or choose another logger (logger=tensorboard, logger=csv)\n"
    )
    assert not run_dir.exists()
