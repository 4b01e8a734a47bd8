"""Grids with one row per class, and the book's label swap (the same latent vectors under
every label). Every function takes a trained module (e.g. `ganlab.run.checkpoint.load_module`),
so a checkpoint alone is enough; images come back as float tensors in [-1, 1] on the CPU."""

from typing import NamedTuple

import torch

from ganlab.errors import UsageError
from ganlab.sampling.latents import GRID_MAX_CLASSES, class_rows, condition_classes, latent_vectors
from ganlab.sampling.render import generate_images


def require_conditional(model, what: str) -> int:
    classes = condition_classes(model)
    if classes == 0:
        raise UsageError(
            f"{what} needs a conditional model, but this one was trained unconditionally "
            "(it takes no labels)"
        )
    return classes


def positive(value: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise UsageError(f"{name} must be an integer >= 1, got {value!r}")
    return value


class ClassGrid(NamedTuple):
    """A grid with one row per class: `images` (rows·nrow, C, H, W) row-major, their
    `labels`, `nrow` images per row (torchvision's make_grid argument), and a `caption`
    naming the classes the rows show (and how many there are when only the first are shown)."""

    images: torch.Tensor
    labels: torch.Tensor
    nrow: int
    caption: str


def per_class_grid(
    model,
    per_class: int = 8,
    seed: int = 0,
    max_classes: int = GRID_MAX_CLASSES,
    batch_size: int = 256,
) -> ClassGrid:
    """`per_class` images for each class, one row per class, with the same latent vectors in
    every row (so a column shows one latent under each label). All classes, or the first
    `max_classes` with the total stated in the caption. Raises UsageError on an
    unconditional model."""
    classes = require_conditional(model, "a per-class grid")
    positive(per_class, "per_class")
    positive(max_classes, "max_classes")
    z, labels = class_rows(
        classes,
        per_class,
        model.latent_dim,
        max_classes,
        generator=torch.Generator().manual_seed(seed),
    )
    rows = min(classes, max_classes)
    names = list(model.class_names) or [str(c) for c in range(classes)]
    shown = ", ".join(names[:rows])
    caption = (
        f"one row per class: {shown}"
        if rows == classes
        else f"one row per class, the first {rows} of {classes} classes: {shown}"
    )
    return ClassGrid(generate_images(model, z, labels, batch_size), labels, per_class, caption)


def label_swap(model, n_latents: int, seed: int = 0, batch_size: int = 256) -> torch.Tensor:
    """The book's label swap: the same `n_latents` latent vectors rendered under every label.

    Returns (n_latents, num_classes, C, H, W): `[i, c]` is latent i under label c, so
    `images.flatten(0, 1)` is latent-major (image i·num_classes + c) and `make_grid` of it with
    nrow=num_classes shows one latent per row, the labels side by side. Raises UsageError on
    an unconditional model.
    """
    classes = require_conditional(model, "label swap")
    positive(n_latents, "the number of latent vectors")
    z = latent_vectors(n_latents, model.latent_dim, seed).repeat_interleave(classes, dim=0)
    labels = torch.arange(classes).repeat(n_latents)
    images = generate_images(model, z, labels, batch_size)
    return images.view(n_latents, classes, *images.shape[1:])
