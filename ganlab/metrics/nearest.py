"""The memorisation check: how far each generated image is from its nearest real image.

`nn_l1` is the mean, over generated images, of the L1 distance to the nearest real image,
averaged per pixel with pixels in [0, 1]: 0 for an exact copy of a real image; about 0.05
from a real MNIST test digit to its nearest other test digit (9,000 candidates). A generator
that copies its training set scores below that real-vs-real floor; the figure shows the
pairs so a reader can judge.
"""

from pathlib import Path

import torch

from ganlab.sampling.files import save_grid

CHUNK = 256


def nearest_real(
    fake: torch.Tensor, real: torch.Tensor, device: torch.device | str = "cpu"
) -> tuple[torch.Tensor, torch.Tensor]:
    """uint8 (N, C, H, W), (M, C, H, W) → per generated image the mean per-pixel L1 distance
    to its nearest real image (N,) and that image's index (N,)."""
    pixels = real[0].numel()
    real_flat = real.reshape(len(real), -1).to(device, torch.float32).div_(255)
    distances, indices = [], []
    for chunk in fake.split(CHUNK):
        flat = chunk.reshape(len(chunk), -1).to(device, torch.float32).div_(255)
        best = torch.cdist(flat, real_flat, p=1).min(dim=1)
        distances.append(best.values.div_(pixels).cpu())
        indices.append(best.indices.cpu())
    return torch.cat(distances), torch.cat(indices)


def neighbour_figure(
    path: Path, fake: torch.Tensor, real: torch.Tensor, indices: torch.Tensor, count: int = 32
) -> None:
    """Rows of 8 generated images, each followed by a row of their nearest real images."""
    fake, nearest = fake[:count], real[indices[:count]]
    rows = [part for pair in zip(fake.split(8), nearest.split(8), strict=True) for part in pair]
    save_grid(path, torch.cat(rows), nrow=8)
