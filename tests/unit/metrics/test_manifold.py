"""Precision, recall, density and coverage against answers known by construction, and
against torch-fidelity's own precision/recall on the same features."""

import pytest
import torch
from torch_fidelity.metric_prc import prc_features_to_metric

from ganlab.metrics.manifold import manifold_scores


def cluster(n: int, centre: float, seed: int) -> torch.Tensor:
    return torch.randn(n, 16, generator=torch.Generator().manual_seed(seed)) + centre


def test_identical_sets_score_one():
    points = cluster(200, 0.0, 0)
    scores = manifold_scores(points, points.clone())
    assert scores["precision"] == scores["recall"] == scores["coverage"] == 1.0
    # each 5-NN ball holds its centre and 4 neighbours strictly inside: 5 per ball, up to
    # float32 rounding of a distance equal to a radius
    assert scores["density"] == pytest.approx(1.0, abs=0.01)


def test_disjoint_clusters_score_zero():
    scores = manifold_scores(cluster(200, 0.0, 0), cluster(200, 100.0, 1))
    assert scores == {"precision": 0.0, "recall": 0.0, "density": 0.0, "coverage": 0.0}


def test_a_subset_is_precise_but_misses_the_rest():
    real = torch.cat([cluster(200, 0.0, 0), cluster(200, 100.0, 1)])
    fake = real[:200]  # one of the two modes: mode collapse
    scores = manifold_scores(real, fake)
    assert scores["precision"] == 1.0
    assert scores["recall"] == pytest.approx(0.5, abs=0.01)
    assert scores["coverage"] == pytest.approx(0.5, abs=0.01)


def test_a_sample_of_the_same_distribution_scores_near_one():
    scores = manifold_scores(cluster(1000, 0.0, 0), cluster(1000, 0.0, 1))
    assert 0.6 < scores["precision"] <= 1 and 0.6 < scores["recall"] <= 1
    assert 0.8 < scores["density"] < 1.2 and 0.9 < scores["coverage"] <= 1


def test_precision_and_recall_agree_with_torch_fidelity():
    real, fake = cluster(500, 0.0, 0), cluster(300, 0.5, 1) * 1.3
    ours = manifold_scores(real, fake)
    theirs = prc_features_to_metric(fake, real, prc_neighborhood=3, prc_batch_size=10000,
                                    save_cpu_ram=False, verbose=False)  # fmt: skip
    assert ours["precision"] == pytest.approx(theirs["precision"], abs=1e-9)
    assert ours["recall"] == pytest.approx(theirs["recall"], abs=1e-9)
    assert 0.05 < ours["precision"] < 0.95 and 0.05 < ours["recall"] < 0.95  # a real test
