"""`python -m ganlab.train ARGS` (or another entry point) inside the test process: the same
entry point (`cli.run(main)`), argument parsing, Hydra composition, callbacks and exit codes,
without paying for a fresh interpreter and the torch/Lightning imports on every bad-input row."""

import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from hydra.core.global_hydra import GlobalHydra

from ganlab.run import cli
from ganlab.train import main

SMALL = [
    "model=dcgan64",
    "data.image_size=32",
    "model.latent_dim=16",
    "model.sample_count=16",
    *(
        f"model.net.{net}.{key}={value}"
        for net in ("generator", "discriminator")
        for key, value in (("base_channels", 8), ("max_channels", 32))
    ),
]
"""A DCGAN small enough for a training step in a few milliseconds (batch norm and dropout
included, so resume has buffers and random masks to get right)."""


@dataclass
class Result:
    returncode: int
    stderr: str


def train_in_process(*args: str, capsys: pytest.CaptureFixture | None = None) -> Result:
    """Run the training CLI with `args`; stderr is captured when `capsys` is given."""
    return cli_in_process(main, "ganlab.train", *args, capsys=capsys)


def cli_in_process(
    entry: Callable[[], Any], prog: str, *args: str, capsys: pytest.CaptureFixture | None = None
) -> Result:
    """Run an entry point's `@hydra.main` function as `prog args...` would."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sys, "argv", [prog, *args])
        patch.delenv("HYDRA_FULL_ERROR", raising=False)
        if capsys is not None:
            capsys.readouterr()
        try:
            cli.run(entry)
            code = 0
        except SystemExit as exit:
            code = exit.code if isinstance(exit.code, int) else 1
        finally:
            GlobalHydra.instance().clear()
    return Result(code, capsys.readouterr().err if capsys is not None else "")
