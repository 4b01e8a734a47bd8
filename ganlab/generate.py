"""Sample a checkpoint: `python -m ganlab.generate ckpt_path=PATH [n=… out=… grid=… label=…]`.

Writes an `.npz` (uint8 NHWC under `arr_0`, int64 `labels` for conditional checkpoints), a
PNG grid, and with `interpolate=K` spherical interpolation strips. Conditional checkpoints
take `label=K` (a class index or name: every image of that class), `label=all` (n split evenly
over the classes, the default) or `mode=label_swap` (the same n latent vectors rendered under
every label: in the npz latent-major, image i·C + c is latent i under label c; in the grid one
row per latent, one column per label). A checkpoint trained with `model.ema.decay` is sampled
through its averaged generator unless `ema=false` (the raw weights).
"""

import math
from dataclasses import dataclass
from pathlib import Path

import hydra
import torch
from omegaconf import DictConfig

from ganlab.data.scaling import to_uint8
from ganlab.errors import UsageError
from ganlab.metrics.protocol import weights_kind
from ganlab.models.gan import GAN
from ganlab.run import cli
from ganlab.run.checkpoint import load_module
from ganlab.run.cli import run_reporting_errors
from ganlab.run.config import CONF_DIR
from ganlab.run.rules import check_tool_options
from ganlab.sampling.files import run_folder, save_grid, save_npz, writable_file
from ganlab.sampling.grids import label_swap, per_class_grid
from ganlab.sampling.interpolation import interpolation_strips
from ganlab.sampling.latents import class_index, condition_classes, labels_for, latent_vectors
from ganlab.sampling.render import render, resolve_device

MODES = ("sample", "label_swap")
GRID_IMAGES = 64
GRID_ROWS_PER_CLASS = 8


@dataclass
class Samples:
    images: torch.Tensor
    labels: torch.Tensor | None
    grid: torch.Tensor
    grid_nrow: int


def positive(cfg: DictConfig, key: str, minimum: int = 1) -> int:
    value = cfg.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise UsageError(f"{key} must be an integer >= {minimum}, got {value!r}")
    return value


def check_conditional_options(cfg: DictConfig, ckpt: str, model: GAN) -> None:
    if cfg.mode not in MODES:
        raise UsageError(f"mode must be one of {list(MODES)}, got {cfg.mode!r}")
    asked = [f"label={cfg.label}"] if cfg.label is not None else []
    asked += ["mode=label_swap"] if cfg.mode == "label_swap" else []
    if asked and not model.conditional:
        raise UsageError(
            f"{' and '.join(asked)} {'need' if len(asked) > 1 else 'needs'} a conditional "
            f"checkpoint, but {ckpt} was trained unconditionally: drop the option"
        )
    if cfg.mode == "label_swap" and cfg.label is not None:
        raise UsageError("mode=label_swap renders every label: drop label=")


def requested_labels(label: int | str | None, model: GAN, n: int) -> torch.Tensor | None:
    """The label of each of the n images: None (unconditional), one class, or all classes."""
    return labels_for(label, condition_classes(model), n, model.class_names)


def sample(cfg: DictConfig, model: GAN, device: torch.device) -> Samples:
    n = cfg.n
    if cfg.mode == "label_swap":
        classes = model.num_classes
        swapped = label_swap(model.to(device), n, cfg.seed, cfg.batch_size)
        images = to_uint8(swapped.flatten(0, 1))
        labels = torch.arange(classes).repeat(n)
        return Samples(images, labels, images[: GRID_ROWS_PER_CLASS * 2 * classes], classes)
    labels = requested_labels(cfg.label, model, n)
    images = render(
        model, latent_vectors(n, model.latent_dim, cfg.seed), labels, cfg.batch_size, device
    )
    per_class = min(GRID_ROWS_PER_CLASS, n // model.num_classes) if labels is not None else 0
    if per_class and (cfg.label is None or cfg.label == "all"):
        grid = per_class_grid(model, per_class, cfg.seed, model.num_classes, cfg.batch_size)
        return Samples(images, labels, to_uint8(grid.images), grid.nrow)
    return Samples(images, labels, images[:GRID_IMAGES], 8)


def interpolate(cfg: DictConfig, model: GAN, device: torch.device) -> torch.Tensor:
    """`pairs` strips of `interpolate` images; a conditional model keeps one label per strip."""
    steps, pairs = cfg.interpolate, cfg.pairs
    ends = latent_vectors(2 * pairs, model.latent_dim, cfg.seed + 1)
    z = interpolation_strips(ends[:pairs], ends[pairs:], steps)
    labels = requested_labels(cfg.label, model, pairs)
    if labels is not None:
        labels = labels.repeat_interleave(steps)
    return render(model, z, labels, cfg.batch_size, device)


def default_out(cfg: DictConfig, ckpt: str) -> Path:
    tag = cfg.mode if cfg.label is None else f"label{cfg.label}"
    name = f"{Path(ckpt).stem}_{tag}_n{cfg.n}_seed{cfg.seed}.npz"
    return run_folder(ckpt) / "generated" / name


def generate(cfg: DictConfig) -> dict[str, Path]:
    ckpt = None if cfg.ckpt_path is None else str(cfg.ckpt_path)
    if not ckpt:
        raise UsageError(
            "ckpt_path= is required: python -m ganlab.generate ckpt_path=PATH/last.ckpt"
        )
    positive(cfg, "n")
    positive(cfg, "batch_size")
    check_tool_options(cfg)
    device = resolve_device(cfg.device)
    model = load_module(ckpt, cfg.get("trusted_prefixes"))
    model.sample_with_ema = cfg.ema
    check_conditional_options(cfg, ckpt, model)
    if cfg.label is not None and cfg.label != "all":
        class_index(cfg.label, model.num_classes, model.class_names, of="this checkpoint")
    overwrite = cfg.overwrite
    out = writable_file(cfg.out or default_out(cfg, ckpt), ".npz", "out", overwrite)
    grid = writable_file(cfg.grid or out.with_suffix(".png"), ".png", "grid", overwrite)
    strips = None
    if cfg.interpolate is not None:
        positive(cfg, "interpolate", 2)
        positive(cfg, "pairs")
        strips = out.with_name(f"{out.stem}_interp{cfg.interpolate}.png")
        writable_file(strips, ".png", "interpolate", overwrite)

    samples = sample(cfg, model, device)
    # without overwrite=true, an output another command wrote meanwhile is not replaced
    save_npz(out, samples.images, samples.labels, keep_existing=not overwrite)
    save_grid(grid, samples.grid, nrow=samples.grid_nrow, keep_existing=not overwrite)
    written = {"npz": out, "grid": grid}
    shape = tuple(samples.images.permute(0, 2, 3, 1).shape)
    print(
        f"wrote {out}: arr_0 uint8 {shape}"
        + (", labels" if samples.labels is not None else "")
        + f" ({weights_kind(model)} generator weights)"
    )
    print(
        f"wrote {grid}: {math.ceil(len(samples.grid) / samples.grid_nrow)} rows of "
        f"{samples.grid_nrow}"
    )
    if strips is not None:
        strip = interpolate(cfg, model, device)
        save_grid(strips, strip, nrow=cfg.interpolate, keep_existing=not overwrite)
        written["interpolation"] = strips
        print(f"wrote {strips}: {cfg.pairs} spherical interpolations of {cfg.interpolate} steps")
    return written


@hydra.main(version_base="1.3", config_path=CONF_DIR, config_name="generate")
def main(cfg: DictConfig) -> None:
    run_reporting_errors(generate, cfg)


def entry() -> None:
    """Console script `ganlab-generate`."""
    cli.run(main)


if __name__ == "__main__":
    entry()
