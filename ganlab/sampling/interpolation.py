"""Spherical interpolation between latent vectors (White 2016, "Sampling Generative Networks").

Gaussian latents concentrate near a sphere of radius √d; a straight line between two of them
passes through the low-norm interior the generator never saw in training, a great-circle arc
does not.
"""

import torch


def slerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Row-wise spherical interpolation: a, b (N, D), t (N,) in [0, 1] → (N, D).

    Falls back to linear interpolation where a and b are (anti)parallel."""
    t = t.unsqueeze(1)
    cos = torch.nn.functional.cosine_similarity(a, b, dim=1).clamp(-1, 1).unsqueeze(1)
    omega = torch.arccos(cos)
    sin = torch.sin(omega)
    parallel = sin.abs() < 1e-6
    safe = torch.where(parallel, torch.ones_like(sin), sin)
    arc = (torch.sin((1 - t) * omega) * a + torch.sin(t * omega) * b) / safe
    return torch.where(parallel, (1 - t) * a + t * b, arc)


def interpolation_strips(starts: torch.Tensor, ends: torch.Tensor, steps: int) -> torch.Tensor:
    """For each start/end pair a strip of `steps` latents from start to end (both included):
    (P, D), (P, D) → (P * steps, D), strip-major, so a grid with `steps` per row shows one
    strip per row."""
    if steps < 2:
        raise ValueError(f"an interpolation needs at least 2 steps, got {steps}")
    pairs = starts.shape[0]
    t = torch.linspace(0, 1, steps).repeat(pairs)
    return slerp(starts.repeat_interleave(steps, dim=0), ends.repeat_interleave(steps, dim=0), t)
