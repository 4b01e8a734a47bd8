"""The training entry point, run as a user runs it (a subprocess on the real CLI)."""

import pytest
import torch
from hydra import compose, initialize_config_dir

from ganlab.run.config import CONF_DIR
from ganlab.run.fit import build_model
from tests.helpers import TINY, run_cli
from tests.helpers.tensorboard_reader import image_tags, scalars


def train(mnist_root, run_dir, *extra):
    return run_cli(
        "ganlab.train",
        "model=dcgan",
        "data=mnist",
        f"data.root={mnist_root}",
        "data.splits=[test]",
        "trainer.max_steps=6",
        "seed=3",
        f"hydra.run.dir={run_dir}",
        *TINY,
        *extra,
    )


@pytest.fixture(scope="module")
def run_dir(mnist_root, tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("runs") / "dcgan"
    result = train(mnist_root, run_dir)
    assert result.returncode == 0, result.stderr[-3000:]
    return run_dir


def test_run_folder_holds_everything(run_dir):
    assert (run_dir / ".hydra" / "config.yaml").is_file()
    assert (run_dir / "checkpoints" / "last.ckpt").is_file()
    assert list((run_dir / "samples").glob("epoch_000_step_000006.png"))
    assert list(run_dir.rglob("events.out.tfevents.*"))


def test_tensorboard_holds_losses_and_samples(run_dir):
    tags = scalars(run_dir)
    for name in ("d_loss", "g_loss", "d_real", "d_fake"):
        assert len(tags[f"{name}_step"]) == 6, name
        assert len(tags[f"{name}_epoch"]) == 1, name
    assert "samples" in image_tags(run_dir)


def test_max_steps_counts_generator_updates(run_dir):
    checkpoint = torch.load(run_dir / "checkpoints" / "last.ckpt", weights_only=True)
    assert checkpoint["global_step"] == 6
    steps = [step for step, _ in scalars(run_dir)["g_loss_step"]]
    assert steps == [0, 1, 2, 3, 4, 5]


def test_training_changed_the_generator_and_checkpoint_is_self_contained(run_dir, mnist_root):
    from ganlab.run.checkpoint import load_module

    trained = load_module(str(run_dir / "checkpoints" / "last.ckpt"))
    assert trained.hparams.image_shape == (1, 28, 28)
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        cfg = compose("train", overrides=[f"data.root={mnist_root}", "data.splits=[test]"])
    import lightning as L

    from ganlab.data.mnist import MNISTDataModule

    L.seed_everything(3, workers=True)
    initial = build_model(cfg, MNISTDataModule(root=str(mnist_root), splits=["test"]))
    changed = [
        not torch.equal(a, b)
        for a, b in zip(
            initial.generator.state_dict().values(),
            trained.generator.state_dict().values(),
            strict=True,
        )
    ]
    assert all(changed[:1]) and sum(changed) > len(changed) // 2


def test_same_seed_same_losses(run_dir, mnist_root, tmp_path):
    again = tmp_path / "again"
    result = train(mnist_root, again)
    assert result.returncode == 0, result.stderr[-3000:]
    assert scalars(again)["d_loss_step"] == scalars(run_dir)["d_loss_step"]
    assert scalars(again)["g_loss_step"] == scalars(run_dir)["g_loss_step"]


def test_simultaneous_update_trains(mnist_root, tmp_path):
    result = train(mnist_root, tmp_path / "sim", "model.update=simultaneous", "trainer.max_steps=3")
    assert result.returncode == 0, result.stderr[-3000:]
    checkpoint = torch.load(tmp_path / "sim" / "checkpoints" / "last.ckpt", weights_only=True)
    assert checkpoint["global_step"] == 3


def test_cfg_job_prints_the_composed_config():
    result = run_cli("ganlab.train", "--cfg", "job")
    assert result.returncode == 0
    assert "_target_: ganlab.models.DCGAN" in result.stdout
    assert "latent_dim: 100" in result.stdout


def test_help_lists_the_groups():
    result = run_cli("ganlab.train", "--help")
    assert result.returncode == 0
    for line in ("model: ", "data: ", "trainer: ", "experiment: "):
        assert line in result.stdout


def test_a_bad_value_stops_with_one_message(mnist_root, tmp_path):
    """In a fresh interpreter; every other bad value is a row of tests/cli/test_bad_input.py."""
    result = train(mnist_root, tmp_path / "bad", "model.optim.lr=0")
    assert result.returncode == 2
    assert "model.optim.lr must be > 0" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "bad" / "checkpoints").exists()


def test_missing_data_names_the_files_and_the_fix(tmp_path):
    result = run_cli(
        "ganlab.train",
        f"data.root={tmp_path}",
        "data.download=false",
        f"hydra.run.dir={tmp_path / 'run'}",
        *TINY,
    )
    assert result.returncode == 2
    assert "train-images-idx3-ubyte" in result.stderr and "GANLAB_DATA" in result.stderr
    assert "Traceback" not in result.stderr
