"""ganlab's MNIST classifier: the shipped file, its accuracy on real digits, its trainer."""

import os

import pytest
import torch

from ganlab.metrics.mnist_classifier import WEIGHTS, load_classifier
from ganlab.metrics.train_classifier import accuracy, jitter, load_mnist, train_classifier
from tests.helpers.checkpoints import SHARED

REAL_ROOT = os.environ.get("GANLAB_DATA", str(SHARED / "data"))
real_mnist = pytest.mark.skipif(
    not os.path.isfile(f"{REAL_ROOT}/MNIST/raw/t10k-images-idx3-ubyte.gz"),
    reason="the real MNIST test split is not in GANLAB_DATA or ../shared/data",
)


def test_weights_ship_in_the_package_and_say_how_they_were_made():
    assert WEIGHTS.stat().st_size < 1_000_000
    _, info = load_classifier()
    assert "python -m ganlab.metrics.train_classifier" in info["command"]
    assert info["held_out_accuracy"] >= 0.97
    assert "never trained on" in info["held_out"]


@real_mnist
def test_accuracy_on_the_held_out_real_test_images():
    images, labels = load_mnist(REAL_ROOT, ["test"])
    model, info = load_classifier()
    held_out = accuracy(model, images[8000:], labels[8000:])
    assert held_out >= 0.97
    assert held_out == pytest.approx(info["held_out_accuracy"], abs=1e-4)


def test_jitter_moves_pixels_but_keeps_the_range():
    x = torch.rand(16, 1, 28, 28) * 2 - 1
    moved = jitter(x, torch.Generator().manual_seed(0))
    assert moved.shape == x.shape and not torch.allclose(moved, x)
    assert moved.min() >= -1 and moved.max() <= 1


def test_trainer_writes_a_loadable_file_with_its_record(mnist_root, tmp_path):
    from omegaconf import OmegaConf

    cfg = OmegaConf.create(
        {
            "data": {"root": str(mnist_root), "splits": ["test"]},
            "held_out": 16,
            "epochs": 1,
            "batch_size": 16,
            "lr": 1e-3,
            "weight_decay": 0.0,
            "seed": 0,
            "out": str(tmp_path / "clf.pt"),
        }
    )
    info = train_classifier(cfg)
    _, saved = load_classifier(tmp_path / "clf.pt")
    assert saved == info and 0 <= info["held_out_accuracy"] <= 1
    assert info["trained_on"].startswith("images 0-47 ")


def test_loading_draws_nothing_from_the_global_random_generator():
    torch.manual_seed(3)
    before = torch.get_rng_state()
    model, _ = load_classifier()
    assert torch.equal(torch.get_rng_state(), before)
    assert all(p.device.type == "cpu" for p in [*model.parameters(), *model.buffers()])
