"""Stacked MNIST: three independent digits as the channels, the mode as the label, the same
stacks every time; and the mode count of `evaluate`, which real stacks cover as expected."""

import math
import os

import pytest
import torch
from hydra import compose, initialize_config_dir

from ganlab.data.mnist import MNISTDataModule
from ganlab.data.stacked_mnist import StackedMNISTDataModule
from ganlab.evaluate import evaluate
from ganlab.metrics.class_stats import expected_modes, mode_coverage
from ganlab.metrics.evaluator import Evaluator
from ganlab.metrics.real_images import datamodule_images
from ganlab.run.config import CONF_DIR
from ganlab.run.fit import train
from tests.helpers import TINY
from tests.helpers.checkpoints import SHARED, compose_train

REAL_ROOT = os.environ.get("GANLAB_DATA", str(SHARED / "data"))


def stacks(root, count: int, seed: int = 0) -> StackedMNISTDataModule:
    module = StackedMNISTDataModule(root=str(root), splits=["test"], count=count, stack_seed=seed)
    module.setup("fit")
    return module


def test_each_channel_is_a_digit_and_the_label_is_the_triple(mnist_root):
    module = stacks(mnist_root, 50)
    digits = StackedMNISTDataModule(root=str(mnist_root), splits=["test"]).load_split("test")
    images, modes = module.train_set.images, module.train_set.labels
    assert images.shape == (50, 3, 28, 28) and images.dtype == torch.uint8
    assert module.image_shape == (3, 28, 28) and module.num_classes == 0
    for image, mode in zip(images[:5], modes[:5], strict=True):
        for channel, digit in zip(image, (mode // 100, mode // 10 % 10, mode % 10), strict=True):
            sources = [i for i in range(len(digits[0])) if torch.equal(digits[0][i, 0], channel)]
            assert sources and all(digits[1][i] == digit for i in sources)
    assert torch.equal(stacks(mnist_root, 50).train_set.images, images)  # the same stacks
    assert not torch.equal(stacks(mnist_root, 50, seed=1).train_set.images, images)


def test_mode_coverage_counts_triples_and_their_distance_from_uniform():
    def read(digits: list[int]) -> torch.Tensor:
        return torch.nn.functional.one_hot(torch.tensor(digits), 10).float()

    # three images: modes 123, 123, 456
    modes, kl = mode_coverage([read([1, 1, 4]), read([2, 2, 5]), read([3, 3, 6])])
    assert modes == 2
    # p = (2/3, 1/3) over 1,000 modes: KL = sum p log(1000 p)
    expected = (2 / 3) * math.log(2000 / 3) + (1 / 3) * math.log(1000 / 3)
    assert kl == pytest.approx(expected, rel=1e-9)


@pytest.mark.skipif(
    not os.path.isfile(f"{REAL_ROOT}/MNIST/raw/t10k-images-idx3-ubyte.gz"),
    reason="the real MNIST test split is not in GANLAB_DATA or ../shared/data",
)
def test_real_stacks_cover_what_their_count_allows():
    """2,000 uniform draws of 1,000 modes cover 1000·(1 - e^-2) ≈ 865 of them; the classifier
    (>= 0.97 per digit) reads the triples nearly as drawn."""
    real = datamodule_images(stacks(REAL_ROOT, 2000))
    scores = Evaluator(real, ["modes"]).score(real.images)
    assert 820 <= scores.values["modes"] <= 900
    assert scores.values["modes_kl"] < 0.6
    digits = datamodule_images(MNISTDataModule(root=REAL_ROOT, splits=["test"]))
    refused = Evaluator(digits, ["modes"]).score(digits.images[:8])
    assert "needs Stacked MNIST" in refused.unavailable["modes"]


def test_a_gan_trains_on_stacks_and_evaluate_counts_its_modes(mnist_root, tmp_path):
    train(
        compose_train(
            "data=stacked_mnist",
            f"data.root={mnist_root}",
            "data.splits=[test]",
            "data.count=64",
            f"paths.output_dir={tmp_path}",
            "logger=none",
            "trainer.max_steps=2",
            *TINY,
        )
    )
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        cfg = compose(
            "evaluate",
            overrides=[f"ckpt_path={tmp_path / 'checkpoints' / 'last.ckpt'}", "n=16", "real_n=16",
                       "metrics=[modes]", f"out={tmp_path / 'evaluation'}"],
        )  # fmt: skip
    record = evaluate(cfg)
    assert 1 <= record["metrics"]["modes"] <= 16 and record["metrics"]["modes_kl"] > 0
    assert record["metrics"]["modes_real"] == pytest.approx(expected_modes(16, 1000))


def test_the_mode_count_is_a_periodic_metric_too(mnist_root, tmp_path):
    metrics = train(
        compose_train(
            "data=stacked_mnist",
            f"data.root={mnist_root}",
            "data.splits=[test]",
            "data.count=64",
            "callbacks=metrics",
            "callbacks.periodic_metric.metric=modes",
            "callbacks.periodic_metric.n=16",
            f"paths.output_dir={tmp_path}",
            "logger=none",
            "trainer.max_steps=8",  # one epoch of 64 stacks in batches of 8
            *TINY,
        )
    )
    assert 1 <= metrics["modes"] <= 16 and "modes_kl" in metrics
    # what the diagnosis compares the count with: 16 real stacks cover 15.9 modes on average
    assert metrics["modes_real"] == pytest.approx(expected_modes(16, 1000))
