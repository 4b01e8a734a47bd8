"""The metric callback: logged to TensorBoard every epoch, and a best checkpoint kept."""

import pytest
import torch

from ganlab.callbacks import PeriodicMetric
from ganlab.errors import UsageError
from ganlab.metrics.inception import weights_path
from ganlab.run.fit import train
from tests.helpers import TINY, write_mnist
from tests.helpers.checkpoints import compose_train
from tests.helpers.tensorboard_reader import scalars


def train_with_metric(mnist_root, run_dir, *extra, n=16, real_n=32):
    cfg = compose_train(
        f"data.root={mnist_root}",
        "data.splits=[test]",
        "callbacks=metrics",
        f"callbacks.periodic_metric.n={n}",
        f"callbacks.periodic_metric.real_n={real_n}",
        "trainer.max_epochs=2",
        "+trainer.limit_train_batches=2",
        f"paths.output_dir={run_dir}",
        *TINY,
        *extra,
    )
    return train(cfg)


def test_domain_fid_is_logged_each_epoch_and_the_best_checkpoint_kept(mnist_root, tmp_path):
    metrics = train_with_metric(mnist_root, tmp_path)
    logged = scalars(tmp_path)["domain_fid"]
    assert [step for step, _ in logged] == [1, 3]  # after epochs 1 and 2 (logger's counter)
    assert metrics["domain_fid"] == pytest.approx(logged[-1][1])
    best = list((tmp_path / "checkpoints").glob("best-epoch_*.ckpt"))
    assert len(best) == 1
    checkpoint = torch.load(best[0], weights_only=True)
    monitor = next(v for k, v in checkpoint["callbacks"].items() if "'domain_fid'" in k)
    assert monitor["best_model_score"] == pytest.approx(min(value for _, value in logged))


def test_extra_metrics_are_logged_beside_the_monitored_one(mnist_root, tmp_path):
    if not weights_path().is_file():
        pytest.skip(f"no Inception weights at {weights_path()} (set TORCH_HOME)")
    extra = "callbacks.periodic_metric.extra_metrics=[precision_recall]"
    train_with_metric(mnist_root, tmp_path, extra, n=8, real_n=8)
    logged = scalars(tmp_path)
    assert len(logged["domain_fid"]) == 2
    for name in ("precision", "recall"):
        assert [step for step, _ in logged[name]] == [1, 3]
        assert all(0 <= value <= 1 for _, value in logged[name])


def test_a_domain_metric_on_other_data_stops_before_training(tmp_path):
    fashion = write_mnist(tmp_path / "data", count=40)
    (fashion / "MNIST").rename(fashion / "FashionMNIST")
    with pytest.raises(UsageError, match="needs MNIST digits"):
        train_with_metric(fashion, tmp_path / "run", "data=fashion_mnist")
    assert not list((tmp_path / "run").rglob("*.ckpt"))


def test_bad_callback_settings_are_usage_errors():
    with pytest.raises(UsageError, match="unknown metric"):
        PeriodicMetric(metric="sharpness")
    with pytest.raises(UsageError, match="n >= 2"):
        PeriodicMetric(n=1)
