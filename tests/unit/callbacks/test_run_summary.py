"""RunSummary takes whatever metrics exist when fitting ends, an evaluation callback's too."""

import json

import torch
from hydra import compose, initialize_config_dir
from lightning.pytorch import Callback

from ganlab.run.config import CONF_DIR
from ganlab.run.fit import train
from ganlab.train import objective
from tests.helpers import TINY
from tests.helpers.hparams_reader import hparams_summary


class StoreFinalScore(Callback):
    """Stands in for an evaluation callback that scores the final generator in on_train_end,
    after RunSummary's own on_train_end would have run."""

    def on_train_end(self, trainer, pl_module):
        trainer.callback_metrics["fid"] = torch.tensor(12.5)


def test_metrics_json_and_hparams_take_an_evaluation_callbacks_metric(mnist_root, tmp_path):
    overrides = [
        f"data.root={mnist_root}",
        "data.splits=[test]",
        "trainer.max_steps=2",
        f"paths.output_dir={tmp_path}",
        "+callbacks.final_score._target_=tests.unit.callbacks.test_run_summary.StoreFinalScore",
        *TINY,
    ]
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        cfg = compose("train", overrides=overrides)
    metrics = train(cfg)
    assert objective(metrics, "fid") == 12.5
    record = json.loads((tmp_path / "metrics.json").read_text())
    assert record["metrics"]["fid"] == 12.5 and "g_loss_epoch" in record["metrics"]
    assert record["global_step"] == 2 and record["epochs"] == 1

    params, names = hparams_summary(tmp_path)
    assert "final/fid" in names and params["model.latent_dim"] == 100
    assert "model" not in params, "group choices come from Hydra's runtime, absent here"
