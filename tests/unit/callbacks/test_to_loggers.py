"""Sample grids and hyper-parameters reach every logger that takes them, through its own API."""

import csv

import numpy as np
import pytest
import torch
import yaml
from lightning.pytorch.loggers import CSVLogger, Logger, MLFlowLogger, TensorBoardLogger

from ganlab.callbacks.to_loggers import log_final_hparams, log_image
from tests.helpers.hparams_reader import hparams_summary
from tests.helpers.tensorboard_reader import image_tags, scalars

GRID = torch.linspace(0, 1, 3 * 4 * 5).reshape(3, 4, 5)
PARAMS = {"model.latent_dim": 16, "model.optim.lr": 0.0002, "data": "mnist"}
FINAL = {"final/g_loss_epoch": 0.75}


class ImageLogger(Logger):
    """A logger with Weights & Biases' image method, recording what it was given."""

    def __init__(self):
        super().__init__()
        self.images: list[tuple[str, list, int]] = []
        self.params: dict = {}
        self.metrics: list[tuple[dict, int]] = []

    name = "images"
    version = "0"

    def log_image(self, key, images, step=None):
        self.images.append((key, images, step))

    def log_hyperparams(self, params, *args, **kwargs):
        self.params.update(params)

    def log_metrics(self, metrics, step=None):
        self.metrics.append((metrics, step))


class MLflowClientRecorder:
    def __init__(self):
        self.calls = []

    def log_image(self, run_id, image, artifact_file):
        self.calls.append((run_id, image, artifact_file))


class RecordingMLFlowLogger(MLFlowLogger):
    """MLFlowLogger's type with a recording client in place of mlflow's (not installed here)."""

    def __init__(self):
        Logger.__init__(self)
        self.client = MLflowClientRecorder()

    @property
    def experiment(self):
        return self.client

    @property
    def run_id(self):
        return "run-1"


def test_each_logger_takes_the_grid_its_own_way(tmp_path):
    tensorboard = TensorBoardLogger(tmp_path, name="tb", version="")
    csv_logger = CSVLogger(tmp_path, name="csv", version="")
    images, mlflow = ImageLogger(), RecordingMLFlowLogger()

    took = log_image([tensorboard, csv_logger, images, mlflow], "samples", GRID, step=7)

    assert took == [tensorboard, images, mlflow], "CSV takes no images"
    tensorboard.experiment.flush()
    assert image_tags(tmp_path / "tb") == ["samples"]
    ((key, (array,), step),) = images.images
    assert (key, step) == ("samples", 7)
    assert array.dtype == np.uint8 and array.shape == (4, 5, 3)
    assert array[0, 0, 0] == 0 and array[-1, -1, -1] == 255
    ((run_id, mlflow_array, artifact),) = mlflow.client.calls
    assert (run_id, artifact) == ("run-1", "samples/step_000007.png")
    np.testing.assert_array_equal(mlflow_array, array)


def test_final_hparams_reach_every_logger(tmp_path):
    tensorboard = TensorBoardLogger(tmp_path, name="tb", version="", default_hp_metric=False)
    csv_logger = CSVLogger(tmp_path, name="csv", version="")
    images = ImageLogger()

    log_final_hparams([tensorboard, csv_logger, images], PARAMS, FINAL, step=4)
    for logger in (tensorboard, csv_logger):
        logger.finalize("success")

    params, metric_names = hparams_summary(tmp_path / "tb")
    assert params["model.latent_dim"] == 16 and metric_names == ["final/g_loss_epoch"]
    assert scalars(tmp_path / "tb")["final/g_loss_epoch"] == [(4, 0.75)]
    assert yaml.safe_load((tmp_path / "csv" / "hparams.yaml").read_text()) == PARAMS
    with open(tmp_path / "csv" / "metrics.csv") as file:
        (row,) = csv.DictReader(file)
    assert row["step"] == "4" and float(row["final/g_loss_epoch"]) == 0.75
    assert images.params == PARAMS and images.metrics == [(FINAL, 4)]


def test_mlflow_gets_the_grid_and_the_hparams(tmp_path):
    """With MLflow installed (ganlab[mlflow]): a real local store, read back by its client."""
    pytest.importorskip("mlflow")
    logger = MLFlowLogger(
        experiment_name="train",
        tracking_uri=f"sqlite:///{tmp_path}/mlflow.db",
        artifact_location=str(tmp_path / "mlartifacts"),
    )

    assert log_image([logger], "samples", GRID, step=7) == [logger]
    log_final_hparams([logger], PARAMS, FINAL, step=4)
    logger.finalize("success")

    client, run_id = logger.experiment, logger.run_id
    (folder,) = client.list_artifacts(run_id)
    assert [a.path for a in client.list_artifacts(run_id, folder.path)] == [
        "samples/step_000007.png"
    ]
    run = client.get_run(run_id)
    assert run.data.params["model.latent_dim"] == "16"
    assert run.data.metrics["final/g_loss_epoch"] == 0.75


def test_wandb_offline_gets_the_grid_and_the_hparams(tmp_path, monkeypatch):
    """With wandb installed (ganlab[wandb]): an offline run, no account, files on disk."""
    pytest.importorskip("wandb")
    from lightning.pytorch.loggers import WandbLogger

    monkeypatch.setenv("WANDB_SILENT", "true")
    logger = WandbLogger(save_dir=str(tmp_path), project="ganlab", offline=True)

    assert log_image([logger], "samples", GRID, step=7) == [logger]
    log_final_hparams([logger], PARAMS, FINAL, step=4)
    config = dict(logger.experiment.config)
    logger.experiment.finish()

    assert config["model.latent_dim"] == 16
    (image,) = (tmp_path / "wandb").rglob("media/images/samples_*.png")
    assert image.stat().st_size > 0
