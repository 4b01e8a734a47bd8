"""The bad-input table of docs/reliability.md, row by row: the training CLI prints one line
naming the problem and the fix, exits 2 (usage) or 1 (runtime), shows no traceback, and writes
or overwrites nothing: a refused run leaves no run folder behind, an existing one stays
byte-identical.

Most rows run the CLI in-process (`tests/helpers/inprocess.py`); `test_real_process`
repeats one in a fresh interpreter, as a user runs it.
"""

import hashlib
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import torch
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from omegaconf import OmegaConf

from ganlab.errors import UsageError
from ganlab.run import cli
from ganlab.run.config import CONF_DIR
from ganlab.run.folder import MARKER, acquire_lock
from ganlab.run.rules import check_accelerator, check_config
from ganlab.train import main
from tests.helpers import TINY, run_cli, write_idx, write_mnist
from tests.helpers.inprocess import SMALL, train_in_process


@dataclass
class Paths:
    mnist: Path
    run: Path
    """A finished run folder (checkpoints/last.ckpt), shared by the rows: it must not change."""
    tmp: Path

    @property
    def ckpt(self) -> Path:
        return self.run / "checkpoints" / "last.ckpt"


def base_args(mnist: Path, run_dir: Path, preset: bool = False) -> list[str]:
    """The small DCGAN, or only its sizes when the row picks its own `model=` preset."""
    small = [arg for arg in SMALL if not (preset and arg.startswith("model="))]
    return [f"data.root={mnist}", "data.splits=[test]", f"hydra.run.dir={run_dir}", *TINY, *small]


@pytest.fixture(scope="module")
def finished_run(mnist_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    run_dir = tmp_path_factory.mktemp("finished") / "run"
    result = train_in_process(*base_args(mnist_root, run_dir), "trainer.max_steps=2")
    assert result.returncode == 0
    return run_dir


def tree(path: Path) -> dict[str, str] | None:
    """Every file under `path` with a hash of its bytes, or None when `path` does not exist."""
    if not path.exists():
        return None
    return {
        str(p.relative_to(path)): hashlib.sha1(p.read_bytes()).hexdigest()
        for p in sorted(path.rglob("*"))
        if p.is_file()
    }


def edited_checkpoint(paths: Paths, name: str, edit: Callable[[dict], object]) -> Path:
    checkpoint = torch.load(paths.ckpt, weights_only=True)
    checkpoint = edit(checkpoint) or checkpoint
    target = paths.tmp / name
    torch.save(checkpoint, target)
    return target


def from_wgan(checkpoint: dict) -> None:
    checkpoint["ganlab"]["module"] = "ganlab.models.wgan.WGAN"


def weights_only(checkpoint: dict) -> None:
    del checkpoint["optimizer_states"], checkpoint["loops"]


def garbage(paths: Paths) -> Path:
    path = paths.tmp / "notes.ckpt"
    path.write_text("not a checkpoint")
    return path


def a_file(paths: Paths) -> Path:
    path = paths.tmp / "a_file"
    path.write_text("")
    return path


def damaged_mnist(paths: Paths, damage: str) -> Path:
    """A copy of the 64-image test split with one file damaged."""
    root = write_mnist(paths.tmp / f"mnist_{damage}", count=64, gz=True)
    raw = root / "MNIST" / "raw"
    images, labels = raw / "t10k-images-idx3-ubyte.gz", raw / "t10k-labels-idx1-ubyte.gz"
    if damage == "truncated":
        images.write_bytes(images.read_bytes()[:-50])
    elif damage == "not_gzip":
        labels.write_bytes(b"<html>Too many requests</html>")
    elif damage == "counts":
        write_idx(labels.with_suffix(""), np.zeros(60, np.uint8), gz=True)
    return root


def periodic_only(paths: Paths) -> Path:
    """A run folder whose only checkpoint is a periodic one (no last.ckpt)."""
    run_dir = paths.tmp / "periodic_only"
    (run_dir / "checkpoints").mkdir(parents=True)
    (run_dir / MARKER).write_text("")  # a ganlab run folder
    (run_dir / "checkpoints" / "epoch_000-step_000002.ckpt").write_bytes(paths.ckpt.read_bytes())
    return run_dir


def locked(paths: Paths) -> Path:
    """A run folder whose lock this (live) test process holds until it ends."""
    run_dir = paths.tmp / "locked"
    acquire_lock(run_dir)
    return run_dir


@dataclass
class Row:
    id: str
    args: Callable[[Paths], list[str]]
    message: str
    code: int = 2
    run_dir: Callable[[Paths], Path] = lambda paths: paths.tmp / "new"


ROWS = [
    Row("lr", lambda p: ["model.optim.lr=0"], "model.optim.lr must be > 0, got 0"),
    Row("lr_d", lambda p: ["model.optim.lr_d=-1"], "model.optim.lr_d must be > 0 (or null)"),
    Row("beta1", lambda p: ["model.optim.beta1=1"], "model.optim.beta1 must be in [0, 1), got 1"),
    Row("beta2", lambda p: ["model.optim.beta2=-0.1"], "model.optim.beta2 must be in [0, 1)"),
    Row("latent", lambda p: ["model.latent_dim=0"], "model.latent_dim must be >= 1, got 0"),
    Row(
        "latent_type",
        lambda p: ["model.latent_dim=big"],
        "model.latent_dim must be an integer >= 1, got 'big'",
    ),
    Row("batch", lambda p: ["data.batch_size=0"], "data.batch_size must be >= 1, got 0"),
    Row(
        "batch_vs_data",
        lambda p: ["data.batch_size=100"],
        "the training set holds 64 images, fewer than one batch of 100",
    ),
    Row(
        "image_size_vs_family",
        lambda p: ["data.image_size=36"],
        "cannot build the networks for images (1, 36, 36): the dcgan64 networks need an "
        "image size base·2^k with base 3 to 7 and k >= 2 (e.g. 16, 28, 32, 48, 64, 128), got "
        "36; model/net=dcgan28 takes any multiple of 4 >= 8, model/net=mlp any size",
    ),
    Row(
        "n_critic",
        lambda p: ["model=wgan_gp", "model.n_critic=0"],
        "model.n_critic must be an integer >= 1, got 0",
    ),
    Row(
        "penalty_weight",
        lambda p: ["model=wgan_gp", "model.penalty_weight=-1"],
        "model.penalty_weight (the penalty weight) must be >= 0, got -1",
    ),
    Row(
        "clip_value",
        lambda p: ["model=wgan", "model.clip_value=0"],
        "model.clip_value must be > 0, got 0",
    ),
    Row(
        "penalty",
        lambda p: ["model=wgan_gp", "model.penalty=spectral"],
        "model.penalty must be one of ['none', 'gradient_penalty', 'r1', 'r2', 'r1_r2', "
        "'weight_clipping'], got 'spectral'",
    ),
    Row(
        "label_tricks_on_hinge",
        lambda p: ["model.loss=hinge", "model.label_smoothing=0.1"],
        "model.label_smoothing=0.1 changes the targets of a cross-entropy loss (ns, minimax), "
        "not model.loss=hinge: set model.label_smoothing=0 or choose model.loss=ns",
    ),
    Row("devices", lambda p: ["trainer.devices=0"], "trainer.devices must be 'auto', -1 (all)"),
    Row("fp16", lambda p: ["trainer.precision=16-mixed"], "trainer.precision must be 32-true"),
    Row("max_steps", lambda p: ["trainer.max_steps=-2"], "trainer.max_steps must be >= -1"),
    Row("seed", lambda p: ["seed=abc"], "seed must be an integer from 0 to 4294967295"),
    Row("seed_negative", lambda p: ["seed=-1"], "seed must be from 0 to 4294967295"),
    Row("seed_too_big", lambda p: [f"seed={2**32}"], "seed must be from 0 to 4294967295"),
    Row(
        "batch_of_one_with_batch_norm",
        lambda p: ["data.batch_size=1"],
        "data.batch_size=1 but the networks use batch norm, which needs 2 or more images",
    ),
    Row(
        "mnist_truncated",
        lambda p: [f"data.root={damaged_mnist(p, 'truncated')}"],
        "t10k-images-idx3-ubyte.gz is a truncated or damaged gzip file",
    ),
    Row(
        "mnist_not_gzip",
        lambda p: [f"data.root={damaged_mnist(p, 'not_gzip')}"],
        "t10k-labels-idx1-ubyte.gz is not gzip data",
    ),
    Row(
        "mnist_counts",
        lambda p: [f"data.root={damaged_mnist(p, 'counts')}"],
        "t10k-images-idx3-ubyte.gz holds 64 images but",
    ),
    Row(
        "on_divergence",
        lambda p: ["on_divergence=ignore"],
        "on_divergence must be 'stop' or 'skip_batch', got 'ignore'",
    ),
    Row(
        "two_triggers",
        lambda p: [
            "callbacks.last_checkpoint.every_n_train_steps=5",
            "callbacks.last_checkpoint.every_n_epochs=1",
        ],
        "callbacks.last_checkpoint saves every 5 steps and every 1 epochs",
    ),
    Row("unknown_key", lambda p: ["model.optim.lrr=1"], "Key 'lrr' is not in struct"),
    Row(
        "unknown_choice",
        lambda p: ["model=dgan"],
        "Could not find 'model/dgan'\n\nAvailable options in 'model':\n",
    ),
    Row("bad_syntax", lambda p: ["model.optim.lr=["], "no viable alternative at input '['"),
    Row(
        "appended_key",
        lambda p: ["+model.foo=1"],
        "model: GAN.__init__() got an unexpected keyword argument 'foo'",
    ),
    Row(
        "missing_data",
        lambda p: [f"data.root={p.tmp / 'empty'}", "data.download=false"],
        "MNIST files not found in",
    ),
    Row(
        "folder_under_a_file",
        lambda p: [],
        "(Not a directory: ",
        run_dir=lambda p: a_file(p) / "run",
    ),
    Row(
        "existing_run_folder",
        lambda p: [],
        "already holds a run (.hydra, checkpoints, metrics.json, samples): continue it with "
        "resume=true",
        run_dir=lambda p: p.run,
    ),
    Row(
        "resume_without_last",
        lambda p: ["resume=true"],
        "holds no checkpoints/last.ckpt",
        run_dir=lambda p: periodic_only(p),
    ),
    Row(
        "resume_finished",
        lambda p: ["resume=true", "trainer.max_steps=2"],
        "is at step 2 after 1 epoch(s), which already reaches trainer.max_steps=2: nothing",
        code=0,
        run_dir=lambda p: p.run,
    ),
    Row(
        "resume_other_batch_size",
        lambda p: ["resume=true", "trainer.max_steps=4", "data.batch_size=16"],
        "was trained with other data settings (data.batch_size: 8 in the checkpoint, 16 now)",
        run_dir=lambda p: p.run,
    ),
    Row(
        "folder_in_use",
        lambda p: [],
        "is in use by process ",
        run_dir=locked,
    ),
    Row(
        "max_unsaved_steps",
        lambda p: ["callbacks.last_checkpoint.max_unsaved_steps=0"],
        "callbacks.last_checkpoint.max_unsaved_steps must be >= 1 (or null), got 0",
    ),
    Row("resume_and_ckpt", lambda p: ["resume=true", f"ckpt_path={p.ckpt}"], "not both"),
    Row("ckpt_missing", lambda p: [f"ckpt_path={p.tmp / 'nope.ckpt'}"], "no such file"),
    Row(
        "ckpt_not_a_checkpoint",
        lambda p: [f"ckpt_path={garbage(p)}"],
        "is not a checkpoint torch can read",
    ),
    Row(
        "ckpt_not_ganlab",
        lambda p: [f"ckpt_path={edited_checkpoint(p, 'other.ckpt', lambda c: {'a': 1})}"],
        "is not a ganlab training checkpoint",
    ),
    Row(
        "ckpt_weights_only",
        lambda p: [f"ckpt_path={edited_checkpoint(p, 'weights.ckpt', weights_only)}"],
        "holds weights only (no optimizer_states or loops)",
    ),
    Row(
        "ckpt_other_procedure",
        lambda p: [f"ckpt_path={edited_checkpoint(p, 'wgan.ckpt', from_wgan)}"],
        "was written by ganlab.models.wgan.WGAN, this run builds ganlab.models.dcgan.DCGAN",
    ),
    Row(
        "ckpt_other_settings",
        lambda p: [f"ckpt_path={p.ckpt}", "model.latent_dim=8", "model.optim.lr=0.001"],
        "does not fit this run's model (model.latent_dim: 16 in the checkpoint, 8 now; "
        "model.optim.lr: 0.0002 in the checkpoint, 0.001 now)",
    ),
]


@pytest.mark.fault
@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_bad_input(row, mnist_root, finished_run, tmp_path, capsys):
    paths = Paths(mnist_root, finished_run, tmp_path)
    run_dir = row.run_dir(paths)
    args = row.args(paths)
    before, finished_before = tree(run_dir), tree(finished_run)

    preset = any(arg.startswith("model=") for arg in args)
    result = train_in_process(*base_args(mnist_root, run_dir, preset), *args, capsys=capsys)

    assert result.returncode == row.code, result.stderr
    assert row.message in result.stderr
    assert "Traceback" not in result.stderr
    if result.stderr.startswith("ganlab: error: "):
        assert result.stderr.count("\n") == 1, "one line"
    assert tree(run_dir) == before, "the run folder changed"
    assert tree(finished_run) == finished_before


@pytest.mark.fault
@pytest.mark.skipif(torch.cuda.is_available(), reason="this row needs a machine without a GPU")
def test_gpu_requested_without_one(mnist_root, tmp_path, capsys):
    result = train_in_process(
        *base_args(mnist_root, tmp_path / "run"), "trainer.accelerator=gpu", capsys=capsys
    )
    assert result.returncode == 2
    assert "trainer.accelerator=gpu but torch sees no CUDA GPU" in result.stderr
    assert not (tmp_path / "run").exists()


def test_full_error_shows_the_traceback(mnist_root, tmp_path, monkeypatch):
    """HYDRA_FULL_ERROR=1 raises the error itself (Python then prints the traceback)."""
    args = [*base_args(mnist_root, tmp_path / "run"), "model.optim.lr=0"]
    monkeypatch.setattr(sys, "argv", ["ganlab.train", *args])
    monkeypatch.setenv("HYDRA_FULL_ERROR", "1")
    try:
        with pytest.raises(UsageError, match=r"model\.optim\.lr must be > 0"):
            cli.run(main)
    finally:
        GlobalHydra.instance().clear()


@pytest.mark.fault
def test_real_process(mnist_root, tmp_path):
    """A Hydra usage error in a fresh interpreter (tests/test_train_cli.py has ganlab's own)."""
    run_dir = tmp_path / "run"
    result = run_cli("ganlab.train", *base_args(mnist_root, run_dir), "model.optim.lrr=1")
    assert result.returncode == 2, result.stderr
    assert "Key 'lrr' is not in struct" in result.stderr
    assert "Traceback" not in result.stderr
    assert not run_dir.exists()


@pytest.mark.fault
def test_a_task_error_leaves_no_fresh_folder_but_keeps_existing_files(mnist_root, tmp_path, capsys):
    """A usage error found after Hydra made the folder: Hydra's files go, a user's stay."""
    run_dir = tmp_path / "mine"
    run_dir.mkdir()
    result = train_in_process(*base_args(mnist_root, run_dir), "data.batch_size=100", capsys=capsys)
    assert result.returncode == 2
    assert run_dir.is_dir() and os.listdir(run_dir) == []


@pytest.mark.fault
def test_more_gpus_requested_than_visible(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    cfg = OmegaConf.create({"trainer": {"accelerator": "gpu", "devices": 4}})
    with pytest.raises(
        UsageError, match=r"trainer\.devices=4 but only 1 CUDA GPU\(s\) are visible"
    ):
        check_accelerator(cfg)


@pytest.mark.fault
def test_a_read_only_parent_is_refused(mnist_root, tmp_path, capsys, monkeypatch):
    """(Permission bits do not stop root, so the operating system's answer is simulated.)"""
    run_dir, mkdir = tmp_path / "run", Path.mkdir

    def read_only(path: Path, *args, **kwargs) -> None:
        if path == run_dir:
            raise PermissionError(13, "Permission denied", str(path))
        mkdir(path, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", read_only)
    result = train_in_process(*base_args(mnist_root, run_dir), capsys=capsys)
    assert result.returncode == 2
    assert f"cannot make or lock the run folder {run_dir} (Permission denied: {run_dir})" in (
        result.stderr
    )
    assert not (tmp_path / "run").exists()


NO_GPU = pytest.mark.skipif(not torch.cuda.is_available(), reason="refused without a GPU")
PRESETS = [
    pytest.param(
        group, path.stem, id=f"{group}={path.stem}", marks=[NO_GPU] * (path.stem in ("gpu", "ddp"))
    )
    for group in ("model", "data", "experiment", "trainer")
    for path in sorted((Path(CONF_DIR) / group).glob("*.yaml"))
]


@pytest.mark.parametrize(("group", "choice"), PRESETS)
def test_every_preset_passes_validation(group, choice, tmp_path):
    overrides = [f"{group}={choice}", f"paths.output_dir={tmp_path}"]
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        check_config(compose("train", overrides=overrides))


@pytest.mark.fault
def test_bad_kaggle_credentials_name_the_fix(tmp_path, capsys, monkeypatch):
    for name in ("KAGGLE_USERNAME", "KAGGLE_KEY", "KAGGLE_API_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("KAGGLE_CONFIG_DIR", str(tmp_path / "home" / ".kaggle"))
    run_dir = tmp_path / "run"
    result = train_in_process(
        "data=bricks", f"data.root={tmp_path / 'data'}", f"hydra.run.dir={run_dir}", capsys=capsys
    )
    assert result.returncode == 2
    assert "LEGO brick images not found" in result.stderr
    assert "no usable Kaggle credentials" in result.stderr and "kaggle.json" in result.stderr
    assert not run_dir.exists()
