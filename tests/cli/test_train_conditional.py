"""The conditional presets through the real training CLI, on labelled fixtures in the real
on-disk layouts: cGAN and cDCGAN on MNIST (one multirun), the book's conditional WGAN-GP on
CelebA conditioned on Blond_Hair; then sampling by label from the checkpoints alone."""

from pathlib import Path

import pytest
import torch
from hydra import compose, initialize_config_dir
from PIL import Image

from ganlab.errors import UsageError, user_error_of
from ganlab.run.checkpoint import load_module
from ganlab.run.config import CONF_DIR
from ganlab.run.fit import train
from ganlab.sampling.grids import label_swap, per_class_grid
from ganlab.sampling.latents import labels_for
from tests.helpers import TINY, run_cli, sweep_runs
from tests.helpers.layouts import write_celeba, write_folder

STEPS = 3
# tiny networks: on a few shared cores, OpenMP's thread hand-offs cost more than the maths
ONE_THREAD = {"OMP_NUM_THREADS": "1"}
DIGITS = [str(d) for d in range(10)]
GENERATORS = {"cgan": "ganlab.nets.mlp.Generator", "cdcgan": "ganlab.nets.dcgan28.Generator"}


def grid_rows(path: Path, image_size: int, padding: int = 2) -> tuple[int, int]:
    """(images per row, rows) of a torchvision make_grid PNG."""
    width, height = Image.open(path).size
    cell = image_size + padding
    return (width - padding) // cell, (height - padding) // cell


@pytest.fixture(scope="module")
def mnist_runs(mnist_root, tmp_path_factory) -> dict[str, Path]:
    """model -> run folder of one multirun of `model=cgan,cdcgan` on the MNIST fixture."""
    sweep_dir = tmp_path_factory.mktemp("conditional")
    result = run_cli(
        "ganlab.train",
        "-m",
        "model=cgan,cdcgan",
        "data=mnist",
        f"data.root={mnist_root}",
        "data.splits=[test]",
        f"trainer.max_steps={STEPS}",
        f"hydra.sweep.dir={sweep_dir}",
        *TINY,
        env=ONE_THREAD,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return sweep_runs(sweep_dir, "model")


@pytest.fixture(scope="module")
def celeba_root(tmp_path_factory) -> Path:
    return write_celeba(tmp_path_factory.mktemp("celeba"), count=24)


@pytest.mark.parametrize("preset", ["cgan", "cdcgan"])
def test_conditional_presets_train_and_checkpoint_the_classes(mnist_runs, preset):
    checkpoint = torch.load(mnist_runs[preset] / "checkpoints" / "last.ckpt", weights_only=True)
    assert checkpoint["global_step"] == STEPS
    info = checkpoint["ganlab"]
    assert (info["num_classes"], info["class_names"], info["conditional"]) == (10, DIGITS, True)
    assert checkpoint["hyper_parameters"]["net"]["generator"]["_target_"] == GENERATORS[preset]


@pytest.mark.parametrize("preset", ["cgan", "cdcgan"])
def test_epoch_grid_has_one_row_per_digit(mnist_runs, preset):
    grid = mnist_runs[preset] / "samples" / f"epoch_000_step_{STEPS:06d}.png"
    assert grid_rows(grid, 28) == (8, 10)


@pytest.mark.parametrize("preset", ["cgan", "cdcgan"])
def test_sampling_by_label_from_the_checkpoint_alone(mnist_runs, preset):
    model = load_module(str(mnist_runs[preset] / "checkpoints" / "last.ckpt"))
    grid = per_class_grid(model, per_class=3)
    assert grid.images.shape == (30, 1, 28, 28)
    assert grid.caption == "one row per class: " + ", ".join(DIGITS)
    assert label_swap(model, 4).shape == (4, 10, 1, 28, 28)
    assert labels_for("7", model.num_classes, 2, model.class_names).tolist() == [7, 7]
    with pytest.raises(UsageError, match="give an index 0-9"):
        labels_for(10, model.num_classes, 2, model.class_names)


def test_book_conditional_wgan_gp_on_celeba_blond_hair(celeba_root, tmp_path):
    run_dir = tmp_path / "run"
    result = run_cli(
        "ganlab.train",
        "experiment=book_cgan_celeba_blond",
        f"data.root={celeba_root}",
        "data.image_size=32",
        "data.batch_size=4",
        "data.num_workers=0",
        "trainer.max_steps=2",
        f"hydra.run.dir={run_dir}",
        *(o for o in TINY if not o.startswith("data.batch_size")),
        env=ONE_THREAD,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    checkpoint = torch.load(run_dir / "checkpoints" / "last.ckpt", weights_only=True)
    assert checkpoint["global_step"] == 2
    assert checkpoint["ganlab"]["module"] == "ganlab.models.wgan.WGAN"
    assert checkpoint["ganlab"]["class_names"] == ["not_Blond_Hair", "Blond_Hair"]
    hparams = checkpoint["hyper_parameters"]
    assert (hparams["latent_dim"], hparams["n_critic"], hparams["conditional"]) == (32, 3, True)
    assert grid_rows(run_dir / "samples" / "epoch_000_step_000002.png", 32) == (8, 2)
    model = load_module(str(run_dir / "checkpoints" / "last.ckpt"))
    swapped = label_swap(model, 3)
    assert swapped.shape == (3, 2, 3, 32, 32)
    assert labels_for("Blond_Hair", 2, 1, model.class_names).tolist() == [1]


@pytest.mark.parametrize(
    ("overrides", "folder"),
    [
        (["model=cdcgan", "data=folder", "data.image_size=28", "data.path=FOLDER"], True),
        (["experiment=book_cgan_celeba_blond", "data.condition_on=null"], False),
    ],
    ids=["cdcgan-on-unlabelled-folder", "cwgan_gp-on-celeba-without-attribute"],
)
def test_conditional_preset_on_unlabelled_data_stops_before_writing(
    celeba_root, tmp_path, overrides, folder
):
    """What the CLI runs (`train`), in-process: the UsageError `main` prints as one line
    (exit 2), and no run output."""
    images = write_folder(tmp_path / "images", {"a": 2, "b": 2}, corrupt=False)
    overrides = [o.replace("FOLDER", str(images)) for o in overrides]
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        cfg = compose(
            "train",
            overrides=[
                *overrides,
                *([] if folder else [f"data.root={celeba_root}"]),
                f"paths.output_dir={tmp_path / 'run'}",
                "trainer.accelerator=cpu",
            ],
        )
    with pytest.raises(Exception) as raised:
        train(cfg)
    error = user_error_of(raised.value)
    assert isinstance(error, UsageError), raised.value
    assert "model.conditional=true but the data module yields no labels" in str(error)
    assert not (tmp_path / "run").exists()
