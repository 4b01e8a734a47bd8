"""WGAN-GP and WGAN through the real training CLI on the bricks, CelebA and image-folder data
modules, on fixtures written in the real on-disk layouts.

Subprocesses are slow to start here (imports), so one Hydra multirun trains both procedures on
all three data modules, and one more run is the user's command exactly as written.
"""

from pathlib import Path

import pytest
import torch
from hydra import compose, initialize_config_dir

from ganlab.errors import UsageError, user_error_of
from ganlab.run.config import CONF_DIR
from ganlab.run.fit import train
from tests.helpers import run_cli, sweep_runs
from tests.helpers.layouts import image_bytes, write_bricks, write_celeba
from tests.helpers.tensorboard_reader import image_tags, scalars

FAST = [
    "trainer.accelerator=cpu",
    "trainer.enable_progress_bar=false",
    "trainer.enable_model_summary=false",
    "trainer.log_every_n_steps=1",
    "trainer.max_steps=2",
    "data.batch_size=4",
    "data.image_size=32",
    "data.num_workers=0",
]
# tiny networks: on a few shared cores, OpenMP's thread hand-offs cost more than the maths
ONE_THREAD = {"OMP_NUM_THREADS": "1"}
MODELS = ("wgan_gp", "wgan")
DATA = ("bricks", "celeba", "folder")


@pytest.fixture(scope="module")
def data_root(tmp_path_factory) -> Path:
    """Bricks (21 PNGs) and CelebA (24 JPEGs) in their layouts under one root, plus a few
    loose images and two broken files: as a folder, the root holds every kind of file."""
    root = tmp_path_factory.mktemp("data")
    write_bricks(root, per_type=7)
    write_celeba(root, count=24)
    extra = root / "extra"
    extra.mkdir()
    (extra / "garbage.png").write_bytes(b"not an image")
    whole = image_bytes(5, (48, 48), "RGB", "PNG")
    (extra / "truncated.png").write_bytes(whole[: len(whole) // 2])
    return root


@pytest.fixture(scope="module")
def sweep(data_root, tmp_path_factory) -> dict[tuple[str, str], Path]:
    """(model, data) -> run folder of one multirun over both procedures and all data modules
    (n_critic 5 x batch 4 = 20 real images per generator step)."""
    sweep_dir = tmp_path_factory.mktemp("sweep")
    result = run_cli(
        "ganlab.train",
        "-m",
        f"model={','.join(MODELS)}",
        f"data={','.join(DATA)}",
        f"data.root={data_root}",
        f"hydra.sweep.dir={sweep_dir}",
        *FAST,
        env=ONE_THREAD,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return sweep_runs(sweep_dir, "model", "data")


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("data", DATA)
def test_each_procedure_trains_on_each_data_module(sweep, model, data):
    run_dir = sweep[model, data]
    checkpoint = torch.load(run_dir / "checkpoints" / "last.ckpt", weights_only=True)
    assert checkpoint["global_step"] == 2
    assert checkpoint["ganlab"]["module"] == "ganlab.models.wgan.WGAN"
    assert checkpoint["hyper_parameters"]["penalty"] == (
        "gradient_penalty" if model == "wgan_gp" else "weight_clipping"
    )
    channels = 1 if data == "bricks" else 3
    assert checkpoint["hyper_parameters"]["image_shape"] == (channels, 32, 32)
    assert list((run_dir / "samples").glob("epoch_*_step_000002.png"))
    tags = scalars(run_dir)
    assert [step for step, _ in tags["g_loss_step"]] == [0, 1]
    for name in ("c_loss", "c_wass", "c_grad_norm"):
        assert len(tags[f"{name}_step"]) == 2, name
    assert ("c_gp_step" in tags) == (model == "wgan_gp")


def test_weight_clipping_run_keeps_the_critic_clipped(sweep):
    checkpoint = torch.load(
        sweep["wgan", "celeba"] / "checkpoints" / "last.ckpt", weights_only=True
    )
    parameters = [
        value
        for name, value in checkpoint["state_dict"].items()
        if name.startswith("discriminator.")
        and "running_" not in name
        and value.is_floating_point()
    ]
    assert parameters and max(v.abs().max().item() for v in parameters) <= 0.01


def test_folder_run_logged_the_skipped_file(sweep):
    log = (sweep["wgan_gp", "folder"] / "train.log").read_text()
    assert "skipped 1 unreadable image files" in log


def test_the_users_command_as_written(data_root, tmp_path):
    """`python -m ganlab.train model=wgan_gp data=celeba`, the data found through GANLAB_DATA
    (overrides only shrink the run)."""
    run_dir = tmp_path / "run"
    result = run_cli(
        "ganlab.train",
        "model=wgan_gp",
        "data=celeba",
        "model.net.generator.base_channels=8",
        "model.net.discriminator.base_channels=8",
        f"hydra.run.dir={run_dir}",
        *FAST,
        env={"GANLAB_DATA": str(data_root), **ONE_THREAD},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "samples" in image_tags(run_dir)
    from ganlab.run.checkpoint import load_module

    model = load_module(str(run_dir / "checkpoints" / "last.ckpt"))
    assert model.n_critic == 5 and model.real_batches_per_step == 5
    assert model.fixed_samples().shape == (64, 3, 32, 32)


def test_book_experiments_run_on_the_fixtures(data_root, tmp_path):
    result = run_cli(
        "ganlab.train",
        "-m",
        "experiment=book_dcgan_bricks,book_wgan_gp_celeba",
        f"data.root={data_root}",
        f"hydra.sweep.dir={tmp_path}",
        *FAST,
        env=ONE_THREAD,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    for job in ("0", "1"):
        checkpoint = torch.load(tmp_path / job / "checkpoints" / "last.ckpt", weights_only=True)
        assert checkpoint["global_step"] == 2


def test_a_bad_value_stops_the_cli_with_one_message(data_root, tmp_path):
    result = run_cli(
        "ganlab.train",
        "model=wgan_gp",
        "data=celeba",
        "model.n_critic=0",
        f"data.root={data_root}",
        f"hydra.run.dir={tmp_path / 'run'}",
        *FAST,
        env=ONE_THREAD,
    )
    assert result.returncode == 2
    assert "ganlab: error: model.n_critic must be an integer >= 1" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "run" / "checkpoints").exists()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["model=wgan_gp", "data=celeba", "model.penalty_weight=-1"], "model.penalty_weight"),
        (["model=wgan", "data=celeba", "model.clip_value=0"], "model.clip_value must be > 0"),
        (["model=wgan_gp", "data=celeba", "data.condition_on=Blonde"], "no attribute 'Blonde'"),
        (["model=wgan_gp", "data=bricks", "data.image_size=36"], "got 36; model/net=dcgan28"),
        (["model=wgan", "data=folder", "data.path=EMPTY"], "no images under"),
    ],
)
def test_bad_input_is_one_clear_message_before_anything_is_written(
    data_root, tmp_path, overrides, message
):
    """What the CLI runs (`train`) on each bad value, in-process: the UsageError behind it
    (which `main` prints as one line, exit 2) and no run output."""
    empty = tmp_path / "empty"
    empty.mkdir()
    overrides = [o.replace("EMPTY", str(empty)) for o in overrides]
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        cfg = compose(
            "train",
            overrides=[
                *FAST,
                f"data.root={data_root}",
                f"paths.output_dir={tmp_path / 'run'}",
                *overrides,
            ],
        )
    with pytest.raises(Exception) as raised:
        train(cfg)
    error = user_error_of(raised.value)
    assert isinstance(error, UsageError), raised.value
    assert message in str(error)
    assert not (tmp_path / "run").exists()
