"""The class-coverage signal: what the MNIST classifier reads in the samples of fixed latent
vectors, logged each epoch on MNIST digits, and absent on other images."""

import pytest
import torch

from ganlab.callbacks.class_coverage import SIGNAL
from ganlab.diagnosis.history import read_signals
from ganlab.errors import UsageError
from ganlab.metrics.class_stats import class_entropy
from ganlab.metrics.mnist_classifier import load_classifier
from ganlab.run.checkpoint import load_module
from ganlab.run.fit import train
from ganlab.sampling.latents import latent_vectors
from tests.helpers import TINY, write_mnist
from tests.helpers.checkpoints import compose_train
from tests.helpers.tensorboard_reader import scalars


def train_two_epochs(data_root, run_dir, *extra):
    cfg = compose_train(
        f"data.root={data_root}",
        "data.splits=[test]",
        "trainer.max_epochs=2",
        "+trainer.limit_train_batches=2",
        f"paths.output_dir={run_dir}",
        *TINY,
        *extra,
    )
    return train(cfg)


def test_the_classifier_reading_of_fixed_samples_is_logged_each_epoch(mnist_root, tmp_path):
    metrics = train_two_epochs(mnist_root, tmp_path, "callbacks.class_coverage.n=24")
    logged = scalars(tmp_path)[SIGNAL]
    assert [step for step, _ in logged] == [1, 3]  # the losses' axis, as sample_diversity's
    model = load_module(tmp_path / "checkpoints" / "last.ckpt")
    classifier, _ = load_classifier()
    with torch.no_grad():
        probabilities = classifier(model.generate(latent_vectors(24, model.latent_dim, 0)))
    expected = class_entropy(probabilities.softmax(1))
    assert logged[-1][1] == pytest.approx(expected, abs=1e-6)
    assert metrics[SIGNAL] == pytest.approx(expected, abs=1e-6)
    assert read_signals(tmp_path)[SIGNAL] == logged  # what `python -m ganlab.diagnose` reads


def test_a_seeded_run_trains_the_same_with_or_without_class_coverage(mnist_root, tmp_path):
    with_it = train_two_epochs(mnist_root, tmp_path / "with", "seed=3")
    without = train_two_epochs(
        mnist_root, tmp_path / "without", "seed=3", "~callbacks.class_coverage"
    )
    assert SIGNAL in with_it and SIGNAL not in without
    for name in ("d_loss_epoch", "g_loss_epoch"):
        assert with_it[name] == without[name]
    weights = [
        load_module(tmp_path / run / "checkpoints" / "last.ckpt").state_dict()
        for run in ("with", "without")
    ]
    assert all(torch.equal(weights[0][key], weights[1][key]) for key in weights[0])


def test_other_images_get_no_class_coverage(tmp_path):
    fashion = write_mnist(tmp_path / "data", count=40)
    (fashion / "MNIST").rename(fashion / "FashionMNIST")
    metrics = train_two_epochs(fashion, tmp_path / "run", "data=fashion_mnist")
    assert SIGNAL not in metrics and SIGNAL not in scalars(tmp_path / "run")


def test_too_few_samples_stop_before_training(mnist_root, tmp_path):
    with pytest.raises(UsageError, match=r"callbacks.class_coverage.n must be >= 2, got 1"):
        train_two_epochs(mnist_root, tmp_path, "callbacks.class_coverage.n=1")
    assert not (tmp_path / "checkpoints").exists()
