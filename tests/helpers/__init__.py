"""Test helpers: tiny data fixtures in the real on-disk layouts, and the real CLIs."""

import gzip
import os
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]

# Small, fast training settings for CLI tests.
TINY = [
    "trainer.accelerator=cpu",
    "trainer.enable_progress_bar=false",
    "trainer.enable_model_summary=false",
    "trainer.log_every_n_steps=1",
    "data.batch_size=8",
    "callbacks.class_coverage.n=16",
]


def write_idx(path: Path, array: np.ndarray, gz: bool) -> Path:
    """Write an uint8 array in the IDX format MNIST ships in (optionally gzipped)."""
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    data = header + array.astype(np.uint8).tobytes()
    if gz:
        path = path.with_name(path.name + ".gz")
        path.write_bytes(gzip.compress(data))
    else:
        path.write_bytes(data)
    return path


def write_mnist(
    root: Path, splits: tuple[str, ...] = ("test",), count: int = 64, gz: bool = True
) -> Path:
    """A torchvision-layout MNIST root (ROOT/MNIST/raw) with `count` synthetic digits per split:
    each image is a bright square whose position encodes its label."""
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    names = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
             "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}  # fmt: skip
    for split in splits:
        labels = rng.integers(0, 10, size=count).astype(np.uint8)
        images = rng.integers(0, 40, size=(count, 28, 28)).astype(np.uint8)
        for i, label in enumerate(labels):
            row, col = divmod(int(label), 5)
            images[i, 4 + row * 10 : 12 + row * 10, 2 + col * 5 : 6 + col * 5] = 255
        write_idx(raw / names[split][0], images, gz)
        write_idx(raw / names[split][1], labels, gz)
    return root


def run_cli(module: str, *args: str, cwd: Path | None = None, env: dict | None = None,
            timeout: int = 600) -> subprocess.CompletedProcess:  # fmt: skip
    """Run `python -m <module> args...` the way a user would, from the repository root."""
    full_env = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    full_env.pop("HYDRA_FULL_ERROR", None)
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=cwd or REPO,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def quiet_trainer(max_steps: int, **options):
    """A CPU Trainer for in-process tests: no logger, checkpoints, progress bar or summary."""
    from lightning.pytorch import Trainer

    return Trainer(
        accelerator="cpu",
        max_steps=max_steps,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        **options,
    )


def sweep_runs(sweep_dir: Path, *keys: str) -> dict:
    """The run folders of a multirun, keyed by the value each job chose for `keys` (one key:
    the value; several: a tuple), read from each job's `.hydra/overrides.yaml`."""
    import yaml

    runs = {}
    for overrides in sweep_dir.glob("*/.hydra/overrides.yaml"):
        chosen = dict(item.split("=", 1) for item in yaml.safe_load(overrides.read_text()))
        values = tuple(chosen[key] for key in keys)
        runs[values[0] if len(keys) == 1 else values] = overrides.parent.parent
    return runs
