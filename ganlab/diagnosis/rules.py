"""The diagnosis: windows of logged signals read into one verdict each, and consecutive windows
with the same verdict merged into the run's timeline. Pure functions of numbers, so the live
callback (`ganlab.callbacks.diagnosis`) and `python -m ganlab.diagnose` on a finished run's
logs give the same answer. The thresholds and how they were chosen: docs/diagnosis.md."""

import math
from collections.abc import Mapping
from dataclasses import dataclass

HEALTHY = "healthy"
DISCRIMINATOR_DOMINATES = "discriminator dominates"
MODE_COLLAPSE = "mode collapse"
VANISHING_GRADIENT = "vanishing generator gradient"
DIVERGENCE = "divergence"
VERDICTS = (DIVERGENCE, DISCRIMINATOR_DOMINATES, MODE_COLLAPSE, VANISHING_GRADIENT, HEALTHY)
"""In the order the rules are tried: the first that holds is the window's verdict."""

SIGNALS = (
    "d_loss",
    "g_loss",
    "d_acc_real",
    "d_acc_fake",
    "c_acc_real",
    "c_acc_fake",
    "grad_norm_g",
    "grad_norm_d",
    "sample_diversity",
    "sample_class_entropy",
    "modes",
    "modes_real",
)
"""The logged scalars the rules read (per-step values; `sample_diversity` per sample grid,
`sample_class_entropy` per class-coverage check, on MNIST digits only; `modes` and
`modes_real` per periodic mode count, on Stacked MNIST only)."""
SPARSE = ("sample_diversity", "sample_class_entropy", "modes", "modes_real")
"""Measured now and then (each epoch): a window without a value keeps the last one."""


@dataclass(frozen=True)
class Thresholds:
    """Where each rule fires (docs/diagnosis.md says how they were chosen)."""

    dominant_accuracy: float = 0.9
    """The discriminator's accuracy on real and on fake both at least this…"""
    dominant_loss: float = 0.2
    """…and its BCE loss (real + fake halves) below this: it gives each image about 90 % or
    more to the right side (2·-log 0.9 = 0.21), and the generator's loss soars."""
    collapsed_diversity: float = 0.2
    """Fixed-noise samples' mean pairwise distance below this fraction of a real batch's…"""
    lost_diversity: float = 0.5
    """…and below this fraction of the largest it reached: a collapse loses a variety the
    generator had (a generator at initialisation draws one blur for every z)."""
    collapsed_class_entropy: float = 0.5
    """Digits (`sample_class_entropy`, over log 10) below this and below `lost_diversity` of
    the largest it reached: fewer than about three equally frequent digits (10^0.5), varied as
    their pixels may be."""
    collapsed_modes: float = 0.5
    """Stacked MNIST's mode count below this fraction of what as many real stacks cover: the
    generator draws fewer than half the digit triples the data has at that sample size."""
    vanished_gradient: float = 0.1
    """The generator's gradient norm below this fraction of its largest window so far…"""
    fooled_generator_loss: float = 0.105
    """…or a discriminator that takes every fake for real (accuracy on fake <= 0.05) with
    D(G(z)) >= 0.9 (BCE g_loss below -log 0.9 = 0.105): the non-saturating loss passes the
    generator (1 - D(G(z))) <= 0.1 of its gradient."""
    exploded_gradient: float = 1e4
    """Either network's gradient norm above this (or a non-finite signal): divergence."""


@dataclass(frozen=True)
class Window:
    """Steps `start`..`end` (generator updates) and the mean of each signal over them."""

    start: int
    end: int
    means: dict[str, float]


Series = Mapping[str, list[tuple[int, float]]]
"""signal name -> (step, value) points, in step order."""


def windows(series: Series, size: int) -> list[Window]:
    """The points cut into windows of `size` steps (window k: steps k·size … (k+1)·size - 1),
    each signal averaged over its points there; a sparse signal carries its last value."""
    if size < 1:
        raise ValueError(f"a window is at least one step, got {size}")
    bins: dict[int, dict[str, list[float]]] = {}
    for name, points in series.items():
        for step, value in points:
            bins.setdefault(step // size, {}).setdefault(name, []).append(value)
    result, carried = [], {}
    for index in sorted(bins):
        means = {name: sum(values) / len(values) for name, values in bins[index].items()}
        for name in SPARSE:
            if name in bins[index]:
                carried[name] = bins[index][name][-1]
            elif name in carried:
                means[name] = carried[name]
        steps = [step for points in series.values() for step, _ in points if step // size == index]
        result.append(Window(min(steps), max(steps), means))
    return result


LossTraits = Mapping[str, bool]
"""What the rules know of the run's loss, as its module says (`AdversarialLoss.traits`):
`cross_entropy` (the dominance rule reads `d_loss` as a binary cross-entropy) and
`nonsaturating` (the fooled-generator rule reads `g_loss` as -log D(G(z)))."""
NS_TRAITS = {"cross_entropy": True, "nonsaturating": True}
PEAKED = ("grad_norm_g", "sample_diversity", "sample_class_entropy")
"""Signals whose largest window so far the rules compare against."""


def verdict(
    window: Window, peaks: Mapping[str, float], thresholds: Thresholds, loss: LossTraits = NS_TRAITS
) -> tuple[str, str]:
    """The window's verdict and the numbers that show it; `peaks`: the largest window mean
    so far (this window included) of each of `PEAKED`; `loss`: what the run's loss is."""
    means, t = window.means, thresholds
    bad = sorted(name for name, value in means.items() if not math.isfinite(value))
    if bad:
        return DIVERGENCE, "non-finite " + ", ".join(bad)
    norms = {name: means[name] for name in ("grad_norm_g", "grad_norm_d") if name in means}
    exploded = {name: value for name, value in norms.items() if value > t.exploded_gradient}
    if exploded:
        shown = (f"{k} {v:.3g} > {t.exploded_gradient:g}" for k, v in exploded.items())
        return DIVERGENCE, ", ".join(shown)
    if loss.get("cross_entropy") and {"d_acc_real", "d_acc_fake", "d_loss"} <= means.keys():
        real, fake, d_loss = means["d_acc_real"], means["d_acc_fake"], means["d_loss"]
        if min(real, fake) >= t.dominant_accuracy and d_loss < t.dominant_loss:
            return DISCRIMINATOR_DOMINATES, (
                f"D accuracy real {real:.2f}, fake {fake:.2f} (>= {t.dominant_accuracy:g}), "
                f"d_loss {d_loss:.3g} (< {t.dominant_loss:g})"
            )
    collapse = (
        ("sample_diversity", t.collapsed_diversity, "sample diversity {:.2f} of a real batch's"),
        ("sample_class_entropy", t.collapsed_class_entropy, "class entropy of the samples {:.2f}"),
    )
    for signal, floor, shown in collapse:
        value, most = means.get(signal), peaks.get(signal, 0.0)
        if value is not None and value < floor and value < t.lost_diversity * most:
            return MODE_COLLAPSE, f"{shown.format(value)} (< {floor:g}), down from {most:.2f}"
    modes, real = means.get("modes"), means.get("modes_real")
    if modes is not None and real and modes < t.collapsed_modes * real:
        return MODE_COLLAPSE, (
            f"{modes:.0f} modes, {modes / real:.2f} of the {real:.0f} as many real stacks cover "
            f"(< {t.collapsed_modes:g})"
        )
    grad_g, peak = means.get("grad_norm_g"), peaks.get("grad_norm_g", 0.0)
    if grad_g is not None and peak > 0 and grad_g < t.vanished_gradient * peak:
        return VANISHING_GRADIENT, (
            f"grad_norm_g {grad_g:.3g} is {grad_g / peak:.2f} of its peak {peak:.3g} "
            f"(< {t.vanished_gradient:g})"
        )
    if loss.get("nonsaturating") and {"d_acc_fake", "g_loss"} <= means.keys():
        fake, g_loss = means["d_acc_fake"], means["g_loss"]
        if fake <= 0.05 and g_loss < t.fooled_generator_loss:
            return VANISHING_GRADIENT, (
                f"D accuracy on fake {fake:.2f} (<= 0.05), g_loss {g_loss:.3g} "
                f"(< {t.fooled_generator_loss:g}): D(G(z)) >= 0.9"
            )
    return HEALTHY, "no rule fired"
