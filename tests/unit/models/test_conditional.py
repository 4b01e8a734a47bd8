"""What the procedures share for conditional runs: the per-class fixed grid, and the refusal
to build a conditional model for data without labels."""

import logging
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from hydra import compose, initialize_config_dir

from ganlab.data.base import ImageDataModule, TensorImages
from ganlab.errors import UsageError, user_error_of
from ganlab.generate import generate
from ganlab.models import DCGAN
from ganlab.run.config import CONF_DIR
from ganlab.run.fit import build_model, train
from tests.helpers import TINY
from tests.helpers.checkpoints import compose_train

NET = {
    "generator": {"_target_": "ganlab.nets.mlp.Generator", "hidden": [16]},
    "discriminator": {"_target_": "ganlab.nets.mlp.Discriminator", "hidden": [16]},
}
OPTIM = {"lr": 2e-4, "beta1": 0.5, "beta2": 0.999}


def model(num_classes: int, conditional: bool = True, sample_count: int = 64) -> DCGAN:
    return DCGAN(
        net=NET,
        optim=OPTIM,
        latent_dim=6,
        image_shape=(1, 8, 8),
        num_classes=num_classes,
        class_names=[str(c) for c in range(num_classes)],
        conditional=conditional,
        sample_count=sample_count,
    )


def test_conditional_grid_has_one_row_per_class_with_the_same_noise():
    conditional = model(10)
    columns = conditional.grid_columns
    assert conditional.fixed_labels.tolist() == [c for c in range(10) for _ in range(columns)]
    rows = conditional.fixed_noise.view(10, columns, -1)
    assert torch.equal(rows, rows[:1].expand_as(rows))
    assert not torch.equal(rows[0, 0], rows[0, 1])
    samples = conditional.fixed_samples()
    assert samples.shape == (10 * columns, 1, 8, 8)
    # same noise, different label: the rows differ
    assert not torch.allclose(samples[:columns], samples[columns : 2 * columns])


def test_more_than_ten_classes_show_the_first_ten_and_log_the_count(caplog):
    with caplog.at_level(logging.INFO, logger="ganlab.sampling.latents"):
        conditional = model(50)
    assert conditional.fixed_labels.max() == 9
    assert len(conditional.fixed_labels) == 10 * conditional.grid_columns
    assert "first 10 of the 50 classes" in caplog.text


def test_unconditional_grid_is_sample_count_images_without_labels():
    unconditional = model(10, conditional=False, sample_count=12)
    assert unconditional.fixed_noise.shape == (12, 6)
    assert unconditional.fixed_labels.numel() == 0
    assert unconditional.fixed_samples().shape == (12, 1, 8, 8)


def test_fixed_grid_survives_a_checkpoint_round_trip(tmp_path):
    conditional = model(3)
    state = conditional.state_dict()
    again = model(3)
    again.load_state_dict(state)
    assert torch.equal(again.fixed_noise, conditional.fixed_noise)
    assert torch.equal(again.fixed_labels, conditional.fixed_labels)


class UnlabelledImages(ImageDataModule):
    """A data module that yields images but no labels (num_classes 0)."""

    image_shape = (1, 64, 64)

    def setup(self, stage: str | None = None) -> None:
        images = torch.zeros(16, *self.image_shape, dtype=torch.uint8)
        self.train_set = TensorImages(images, torch.zeros(16, dtype=torch.long))


@pytest.mark.parametrize("preset", ["cgan", "cdcgan", "cwgan_gp"])
def test_conditional_preset_on_unlabelled_data_is_a_usage_error(preset):
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        cfg = compose("train", overrides=[f"model={preset}"])
    datamodule = UnlabelledImages()
    assert datamodule.num_classes == 0
    # Hydra wraps what the constructor raises; train.main unwraps it the same way
    with pytest.raises(Exception) as raised:
        build_model(cfg, datamodule)
    error = user_error_of(raised.value)
    assert isinstance(error, UsageError)
    message = str(error)
    assert "model.conditional=true but the data module yields no labels" in message
    assert "data.condition_on=" in message and "model.conditional=false" in message


CONDITIONING = {
    "projection": "model.net.discriminator.conditioning=projection",
    "d_concat": "model.net.discriminator.conditioning=concat",
    "batch_norm": "model.net.generator.conditioning=batch_norm",
    "d_none": "model.net.discriminator.conditioning=none",
    "g_none": "model.net.generator.conditioning=none",
    "auxiliary": "model.auxiliary_classifier_weight=1",
}
"""The issue's conditioning options, each trained by the conditional presets from the CLI."""
CONCAT_OR_NONE = ("d_concat", "d_none")


@pytest.mark.parametrize(
    ("preset", "option"),
    [
        # model=cdcgan's discriminator projects by default
        *(("cdcgan", option) for option in ("d_concat", "batch_norm", "d_none", "auxiliary")),
        *(("cwgan_gp", option) for option in ("projection", "batch_norm", "d_none", "auxiliary")),
        ("cgan", "projection"),
        ("cgan", "g_none"),
    ],
)
def test_each_conditioning_trains_from_the_cli_config(mnist_root, tmp_path, preset, option):
    """The conditioning methods as options of the presets' networks, two steps each."""
    metrics = train(
        compose_train(
            f"data.root={mnist_root}",
            "data.splits=[test]",
            f"paths.output_dir={tmp_path}",
            "logger=none",
            f"model={preset}",
            CONDITIONING[option],
            "trainer.max_steps=2",
            *TINY,
        )
    )
    assert math.isfinite(metrics["g_loss_step"])
    state = torch.load(tmp_path / "checkpoints" / "last.ckpt", weights_only=True)["state_dict"]
    names = " ".join(state)
    projects = option == "projection" or (preset == "cdcgan" and option not in CONCAT_OR_NONE)
    assert ("discriminator.projection.embedding" in names) == projects
    assert (".gain" in names) == (option == "batch_norm")
    assert ("discriminator.auxiliary_classifier" in names) == (option == "auxiliary")
    critic = "c" if preset == "cwgan_gp" else "d"
    assert (f"{critic}_class_acc_fake_step" in metrics) == (option == "auxiliary")
    # the checkpoint samples by label and renders each latent under every label
    by_label = sampled(tmp_path / "checkpoints" / "last.ckpt", tmp_path / "seven", "label=7")
    assert by_label["labels"].tolist() == [7] * 4 and by_label["arr_0"].shape[0] == 4
    swapped = sampled(tmp_path / "checkpoints" / "last.ckpt", tmp_path / "swap", "mode=label_swap")
    assert swapped["labels"].tolist() == list(range(10)) * 4


def sampled(ckpt: Path, out: Path, *overrides: str) -> dict[str, np.ndarray]:
    """`python -m ganlab.generate ckpt_path=CKPT n=4 …`, in process: the .npz it writes."""
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        cfg = compose(
            "generate", overrides=[f"ckpt_path={ckpt}", f"out={out}.npz", "n=4", *overrides]
        )
    generate(cfg)
    with np.load(f"{out}.npz") as data:
        return {key: data[key] for key in data.files}
