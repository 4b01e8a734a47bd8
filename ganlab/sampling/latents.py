"""The latent vectors and labels a sample request asks for.

Latent vectors are drawn on the CPU from a seeded generator, so a seed gives the same images
on any device and for any batch size.
"""

import logging
from collections.abc import Sequence

import torch

from ganlab.errors import UsageError

log = logging.getLogger(__name__)
ALL = "all"
GRID_MAX_CLASSES = 10
"""A class grid shows at most this many classes (the first ones), one row each."""


def latent_vectors(n: int, latent_dim: int, seed: int) -> torch.Tensor:
    return torch.randn(n, latent_dim, generator=torch.Generator().manual_seed(seed))


def balanced_labels(n: int, num_classes: int) -> torch.Tensor:
    """n labels split evenly over the classes (counts differ by at most one), in class order."""
    counts = torch.full((num_classes,), n // num_classes)
    counts[: n % num_classes] += 1
    return torch.repeat_interleave(torch.arange(num_classes), counts)


def class_rows(
    num_classes: int,
    per_class: int,
    latent_dim: int,
    max_classes: int = GRID_MAX_CLASSES,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Latent vectors and labels for a grid with one row per class (the first `max_classes`):
    the same `per_class` latent vectors in every row, so rows differ only by the label.
    Row-major: image r·per_class + j is latent j under label r."""
    rows = min(num_classes, max_classes)
    noise = torch.randn(per_class, latent_dim, generator=generator).repeat(rows, 1)
    return noise, torch.arange(rows).repeat_interleave(per_class)


GRID_COLUMNS = 8
"""Images per row of the epoch sample grid; a conditional grid has one such row per class."""


def grid_inputs(
    latent_dim: int, sample_count: int, num_classes: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """The epoch grids' fixed latents and labels (the global generator's draws): `sample_count`
    latents and no labels, or with classes one row of `GRID_COLUMNS` per class (the first
    `GRID_MAX_CLASSES`), the same latents in every row."""
    if num_classes:
        if num_classes > GRID_MAX_CLASSES:
            log.info(
                "the epoch sample grids show the first %d of the %d classes, one row each",
                GRID_MAX_CLASSES,
                num_classes,
            )
        return class_rows(num_classes, GRID_COLUMNS, latent_dim)
    return torch.randn(sample_count, latent_dim), torch.zeros(0, dtype=torch.long)


def condition_classes(model) -> int:
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
