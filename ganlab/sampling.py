"""Sampling a generator by label: the labels a request asks for, a grid with one row per
class, and the book's label swap (the same latent vectors under every label).

Every function takes a trained module (e.g. `ganlab.models.base.load_module(ckpt)`), so a
checkpoint alone is enough. Latent vectors are drawn on the CPU from a seeded generator: a
seed gives the same images on any device and for any batch size. Images come back as float
tensors in [-1, 1] on the CPU, shaped (…, C, H, W).
"""

from collections.abc import Sequence
from typing import NamedTuple

import torch

from ganlab.errors import UsageError
from ganlab.models.base import GAN, GRID_MAX_CLASSES, class_rows
from ganlab.samples import balanced_labels, generate_images, latent_vectors

ALL = "all"


def condition_classes(model: GAN) -> int:
    """The number of classes the generator takes: 0 for an unconditional model."""
    return model.num_classes if model.conditional else 0


def class_index(
    spec: int | str, num_classes: int, class_names: Sequence[str] = (), of: str = "this model"
) -> int:
    """A class given by index (an int or a string of digits) or by name, checked against the
    classes of `of` (the model, or the checkpoint it came from)."""
    names = list(class_names)
    if isinstance(spec, str) and spec in names:
        return names.index(spec)
    if isinstance(spec, str) and spec.isdigit():
        spec = int(spec)
    if isinstance(spec, int) and not isinstance(spec, bool) and 0 <= spec < num_classes:
        return spec
    shown = ", ".join(names[:12]) + (" …" if len(names) > 12 else "")
    by_name = f", a class name ({shown})" if names else ""
    raise UsageError(
        f"label={spec} is not a class of {of}: give an index 0-{num_classes - 1}"
        f"{by_name} or label={ALL}"
    )


def labels_for(
    spec: int | str | None, num_classes: int, n: int, class_names: Sequence[str] = ()
) -> torch.Tensor | None:
    """The label of each of n images requested with `label=spec`.

    `num_classes` is what the generator takes (`condition_classes(model)`, 0 when it is
    unconditional). Returns None for an unconditional model asked for no label; for a
    conditional one, `spec` None or 'all' gives `balanced_labels(n, num_classes)`, and a class
    index or name gives n copies of that class (int64, shape (n,)).

    Raises UsageError for a label asked of an unconditional model, and for a class that is out
    of range or unknown.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise UsageError(f"the number of images must be an integer >= 1, got {n!r}")
    if num_classes == 0:
        if spec is not None:
            raise UsageError(
                f"label={spec} needs a conditional model, but this one was trained "
                "unconditionally (it takes no labels): drop the label"
            )
        return None
    if spec is None or spec == ALL:
        return balanced_labels(n, num_classes)
    return torch.full((n,), class_index(spec, num_classes, class_names), dtype=torch.long)


def require_conditional(model: GAN, what: str) -> int:
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
    model: GAN,
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


def label_swap(model: GAN, n_latents: int, seed: int = 0, batch_size: int = 256) -> torch.Tensor:
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
