"""The fixed-noise grids by epoch, and by generator update when asked (as the sources show
theirs: the untrained generator, then every N iterations)."""

import pytest

from ganlab.callbacks import SampleGrid
from ganlab.errors import UsageError
from ganlab.run.fit import train
from tests.helpers import TINY
from tests.helpers.checkpoints import compose_train


def grids(mnist_root, run_dir, *extra: str) -> list[str]:
    train(
        compose_train(
            f"data.root={mnist_root}",
            "data.splits=[test]",
            f"paths.output_dir={run_dir}",
            "logger=none",
            *TINY,
            *extra,
        )
    )
    return sorted(p.name for p in (run_dir / "samples").glob("*.png"))


def test_every_n_steps_draws_the_untrained_generator_and_every_n_updates(mnist_root, tmp_path):
    # 64 fixture images, batches of 8: an epoch is 8 updates
    names = grids(
        mnist_root, tmp_path, "trainer.max_steps=5", "callbacks.sample_grid.every_n_steps=2"
    )
    steps = [int(name.split("_step_")[1].removesuffix(".png")) for name in names]
    assert steps == [0, 2, 4, 5]  # before the first update, every 2, and the end


def test_the_default_draws_epoch_grids_only(mnist_root, tmp_path):
    names = grids(mnist_root, tmp_path, "trainer.max_steps=9")
    assert names == ["epoch_000_step_000008.png", "epoch_001_step_000009.png"]


def test_a_bad_interval_is_one_line():
    with pytest.raises(UsageError, match=r"^callbacks\.sample_grid\.every_n_steps must be >= 1"):
        SampleGrid("samples", every_n_steps=0)


def test_nrow_4_draws_16_samples_as_the_sources_4x4_plot(mnist_root, tmp_path):
    from PIL import Image

    names = grids(
        mnist_root,
        tmp_path,
        "trainer.max_steps=1",
        "model.sample_count=16",
        "callbacks.sample_grid.nrow=4",
    )
    with Image.open(tmp_path / "samples" / names[-1]) as grid:
        assert grid.size == (4 * (28 + 2) + 2,) * 2  # 4x4 images of 28 pixels, 2-pixel gaps
