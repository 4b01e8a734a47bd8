"""FID, KID and the Inception Score computed by torchmetrics from features ganlab extracted.

torchmetrics' metrics take a custom `feature` module; handing them `Precomputed` (the
identity) lets one Inception pass per image serve FID, KID and IS, and lets cached real
features stand in for real images. The statistics and distances are torchmetrics' own.
"""

import warnings

import torch
from torch import nn
from torchmetrics.image.fid import FrechetInceptionDistance
from torchmetrics.image.inception import InceptionScore
from torchmetrics.image.kid import KernelInceptionDistance

KID_SUBSET_SIZE = 1000
KID_SUBSETS = 100
IS_SPLITS = 10


class Precomputed(nn.Module):
    """The identity, posing as a torchmetrics feature extractor of `num_features` outputs."""

    def __init__(self, num_features: int):
        super().__init__()
        self.num_features = num_features

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return features


def frechet_distance(real: torch.Tensor, fake: torch.Tensor) -> float:
    """FID between two feature sets (N, D), in float64 as torchmetrics accumulates them."""
    metric = FrechetInceptionDistance(feature=Precomputed(real.shape[1]))
    metric.update(real.double(), real=True)
    metric.update(fake.double(), real=False)
    return float(metric.compute())


def kernel_distance(real: torch.Tensor, fake: torch.Tensor, seed: int = 0) -> tuple[float, float]:
    """KID (mean, std over 100 random subsets), reproducible by seed.

    Subsets hold 1000 images of each set, or half of the smaller set when that is smaller:
    KID's estimate is unbiased at any subset size, and subsets of the whole set would all be
    the same set (a std of 0 that says nothing)."""
    size = max(2, min(KID_SUBSET_SIZE, len(real) // 2, len(fake) // 2))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*will save all extracted features.*")
        metric = KernelInceptionDistance(
            feature=Precomputed(real.shape[1]), subsets=KID_SUBSETS, subset_size=size
        )
    metric.update(real.double(), real=True)
    metric.update(fake.double(), real=False)
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        mean, std = metric.compute()
    return float(mean), float(std)


def inception_score(
    logits: torch.Tensor, seed: int = 0, splits: int = IS_SPLITS
) -> tuple[float, float]:
    """IS (mean, std over `splits` splits) from the Inception logits of generated images."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*will save all extracted features.*")
        metric = InceptionScore(
            feature=Precomputed(logits.shape[1]), splits=min(splits, len(logits))
        )
    metric.update(logits.double())
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        mean, std = metric.compute()
    return float(mean), float(std)
