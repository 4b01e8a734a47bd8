"""Export a checkpoint's generator for plain PyTorch:
`python -m ganlab.export ckpt_path=PATH [format=pt2|torchscript] [out=FILE] [overwrite=true]`.

The file loads with torch alone, no ganlab installed: `torch.export.load(out).module()`
(format=pt2) or `torch.jit.load(out)` (format=torchscript), and is called as `g(z)` or, for a
conditional checkpoint, `g(z, labels)`, giving the images `model.generate` gives (see
`ganlab.nets.export`): the averaged generator of a checkpoint trained with `model.ema.decay`,
unless `ema=false`. An existing file is kept unless `overwrite=true`; the new one appears
whole or not at all.
"""

from pathlib import Path
from typing import Any

import hydra
from omegaconf import DictConfig

from ganlab import __version__
from ganlab.errors import UsageError
from ganlab.metrics.protocol import weights_kind
from ganlab.models.gan import GAN
from ganlab.nets.export import (
    METADATA_FILE,
    SAVERS,
    SUFFIXES,
    example_inputs,
    standalone_generator,
)
from ganlab.run import cli
from ganlab.run.atomic import write_atomically
from ganlab.run.checkpoint import load_module
from ganlab.run.cli import run_reporting_errors
from ganlab.run.config import CONF_DIR
from ganlab.run.rules import check_tool_options
from ganlab.sampling.files import run_folder, writable_file

LOADERS = {"pt2": "torch.export.load(path).module()", "torchscript": "torch.jit.load(path)"}


def classes_of(model: GAN) -> int:
    """How many classes the exported generator takes labels for (0: unconditional)."""
    return model.num_classes if model.conditional else 0


def metadata(model: GAN, fmt: str, ckpt_path: str) -> dict[str, Any]:
    """What `METADATA_FILE` says about the exported generator."""
    classes = classes_of(model)
    inputs = {"z": f"(N, {model.latent_dim}) float32, standard normal"}
    if classes:
        inputs["labels"] = f"(N,) int64 class indices in 0..{classes - 1}"
    return {
        "format": fmt,
        "load": LOADERS[fmt],
        "inputs": inputs,
        "output": f"(N, {', '.join(map(str, model.hparams.image_shape))}) float32 in [-1, 1]",
        "latent_dim": model.latent_dim,
        "image_shape": list(model.hparams.image_shape),
        "num_classes": classes,
        "class_names": list(model.class_names) if classes else [],
        "checkpoint": str(Path(ckpt_path).resolve()),
        "weights": weights_kind(model),
        "ganlab_version": __version__,
    }


def default_out(ckpt_path: str, fmt: str) -> Path:
    return run_folder(ckpt_path) / "exported" / f"{Path(ckpt_path).stem}_generator{SUFFIXES[fmt]}"


def output_file(cfg: DictConfig, fmt: str) -> Path:
    suffix = SUFFIXES[fmt]
    if cfg.out and Path(cfg.out).suffix.lower() != suffix:
        others = ", ".join(f"format={name} writes {end}" for name, end in SUFFIXES.items())
        raise UsageError(f"out={cfg.out} must end in {suffix} for format={fmt} ({others})")
    out = writable_file(cfg.out or default_out(cfg.ckpt_path, fmt), suffix, "out")
    if out.exists() and not cfg.overwrite:
        raise UsageError(
            f"out={out} already exists: choose another out=, or replace it with overwrite=true"
        )
    return out


def check_options(cfg: DictConfig) -> str:
    """The format, once every option is known to be usable."""
    if not cfg.ckpt_path:
        raise UsageError(
            "ckpt_path= is required: python -m ganlab.export ckpt_path=PATH/last.ckpt format=pt2"
        )
    if cfg.format not in SAVERS:
        raise UsageError(f"format must be one of {list(SAVERS)}, got {cfg.format!r}")
    check_tool_options(cfg)
    return cfg.format


def export_generator(cfg: DictConfig) -> Path:
    fmt = check_options(cfg)
    model = load_module(cfg.ckpt_path, cfg.get("trusted_prefixes") or ())
    model.sample_with_ema = cfg.ema
    out = output_file(cfg, fmt)
    classes = classes_of(model)
    module = standalone_generator(model.sampling_generator, classes)
    inputs = example_inputs(model.latent_dim, classes)
    info = metadata(model, fmt, cfg.ckpt_path)
    write_atomically(
        out, lambda file: SAVERS[fmt](module, inputs, info, file), keep_existing=not cfg.overwrite
    )
    signature = "g(z, labels)" if classes else "g(z)"
    print(
        f"wrote {out}: {fmt} generator {signature}, z {info['inputs']['z']}"
        + (f", labels {info['inputs']['labels']}" if classes else "")
        + f" -> images {info['output']}; load it with {LOADERS[fmt]} "
        f"({METADATA_FILE} inside says the same)"
    )
    return out


@hydra.main(version_base="1.3", config_path=CONF_DIR, config_name="export")
def main(cfg: DictConfig) -> None:
    run_reporting_errors(export_generator, cfg)


def entry() -> None:
    """Console script `ganlab-export`."""
    cli.run(main)


if __name__ == "__main__":
    entry()
