"""Precision, recall, density and coverage: how much of the generated set lies on the real
manifold, and how much of the real manifold it reaches, from k-nearest-neighbour balls.

- precision / recall (Kynkäänniemi et al. 2019, k = 3): the fraction of generated points
  inside some real point's ball (radius: distance to its k-th nearest real neighbour), and
  of real points inside some generated point's ball; a point on a ball's edge counts
  (`<=`, as their code and torch-fidelity's `prc_features_to_metric`).
- density / coverage (Naeem et al. 2020, k = 5): how many real balls hold each generated
  point, divided by k (1 on average for the real distribution itself), and the fraction of
  real balls holding at least one generated point; strict `<`, as their `prdc` package.

Distances are Euclidean between feature vectors, computed in chunks so that 10,000 against
10,000 2048-d features never hold a full distance matrix in memory.
"""

import torch

PRECISION_RECALL_K = 3
DENSITY_COVERAGE_K = 5
CHUNK = 1024


def neighbour_radii(features: torch.Tensor, k: int) -> torch.Tensor:
    """Each point's distance to its k-th nearest other point of the same set (N,)."""
    radii = [
        torch.cdist(chunk, features).kthvalue(k + 1, dim=1).values  # +1: itself at distance 0
        for chunk in features.split(CHUNK)
    ]
    return torch.cat(radii)


def manifold_scores(
    real: torch.Tensor,
    fake: torch.Tensor,
    k_pr: int | None = PRECISION_RECALL_K,
    k_dc: int | None = DENSITY_COVERAGE_K,
) -> dict[str, float]:
    """precision and recall (k_pr), density and coverage (k_dc) of `fake` (N, D) against
    `real` (M, D); a k of None skips its pair. Both sets need more than k points."""
    real, fake = real.float(), fake.float()
    device = real.device
    real_pr = neighbour_radii(real, k_pr) if k_pr else None
    fake_pr = neighbour_radii(fake, k_pr) if k_pr else None
    real_dc = neighbour_radii(real, k_dc) if k_dc else None
    in_precision = torch.zeros(len(fake), dtype=torch.bool, device=device)
    in_recall = torch.zeros(len(real), dtype=torch.bool, device=device)
    balls_holding = torch.zeros(len(fake), device=device)
    nearest_fake = torch.full((len(real),), torch.inf, device=device)
    start = 0
    for chunk in fake.split(CHUNK):
        rows = slice(start, start + len(chunk))
        distances = torch.cdist(chunk, real)  # (chunk, M)
        if k_pr:
            in_precision[rows] = (distances <= real_pr).any(dim=1)
            in_recall |= (distances <= fake_pr[rows, None]).any(dim=0)
        if k_dc:
            balls_holding[rows] = (distances < real_dc).sum(dim=1).float()
            nearest_fake = torch.minimum(nearest_fake, distances.min(dim=0).values)
        start += len(chunk)
    scores = {}
    if k_pr:
        scores["precision"] = in_precision.float().mean().item()
        scores["recall"] = in_recall.float().mean().item()
    if k_dc:
        scores["density"] = balls_holding.mean().item() / k_dc
        scores["coverage"] = (nearest_fake < real_dc).float().mean().item()
    return scores
