"""`model.loss` and `model.penalty` through the real training CLI: the default DCGAN with the
hinge loss and R1 together, on the MNIST fixture (each alone: tests/unit/models/test_recipe.py)."""

import math

import torch

from tests.helpers import TINY, run_cli
from tests.helpers.tensorboard_reader import scalars


def test_hinge_with_r1_trains_from_the_cli(mnist_root, tmp_path):
    result = run_cli(
        "ganlab.train",
        "model.loss=hinge",
        "model.penalty=r1",
        "model.penalty_weight=10",
        f"data.root={mnist_root}",
        "data.splits=[test]",
        "trainer.max_steps=2",
        f"hydra.run.dir={tmp_path}",
        *TINY,
        env={"OMP_NUM_THREADS": "1"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    checkpoint = torch.load(tmp_path / "checkpoints" / "last.ckpt", weights_only=True)
    assert checkpoint["global_step"] == 2
    hparams = checkpoint["hyper_parameters"]
    assert (hparams["loss"], hparams["penalty"], hparams["penalty_weight"]) == ("hinge", "r1", 10)
    tags = scalars(tmp_path)
    assert [step for step, _ in tags["g_loss_step"]] == [0, 1]
    assert [step for step, _ in tags["d_r1_step"]] == [0, 1]
    assert all(math.isfinite(value) for _, value in tags["d_loss_step"])
