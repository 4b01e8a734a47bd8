"""FID, KID and IS from features, through torchmetrics, with known answers."""

import math

import pytest
import torch

from ganlab.metrics.distances import frechet_distance, inception_score, kernel_distance


@pytest.fixture(scope="module")
def features():
    generator = torch.Generator().manual_seed(0)
    return torch.randn(200, 16, generator=generator)


def test_fid_of_a_set_with_itself_is_zero(features):
    assert frechet_distance(features, features) == pytest.approx(0, abs=1e-6)


def test_fid_of_shifted_gaussians_is_the_squared_mean_distance():
    # equal covariances: FID = |mu1 - mu2|^2 exactly; sampling noise stays small at n=4000
    generator = torch.Generator().manual_seed(1)
    a = torch.randn(4000, 4, generator=generator)
    b = torch.randn(4000, 4, generator=generator) + torch.tensor([2.0, 0, 0, 0])
    assert frechet_distance(a, b) == pytest.approx(4.0, rel=0.05)


def test_kid_is_near_zero_for_one_distribution_and_large_for_another(features):
    same = kernel_distance(features[:100], features[100:])[0]
    other = kernel_distance(features, features * 3 + 2)[0]
    assert abs(same) < 0.1 and other > 100 * abs(same)


def test_kid_is_reproducible_by_seed(features):
    shifted = features + 0.5
    assert kernel_distance(features, shifted, seed=3) == kernel_distance(features, shifted, seed=3)


@pytest.mark.filterwarnings(r"ignore:std\(\)")
def test_inception_score_known_answers():
    confident = torch.eye(10).repeat(10, 1) * 50  # 100 images, 10 classes equally, certain
    assert inception_score(confident, splits=1)[0] == pytest.approx(10, rel=1e-3)
    collapsed = torch.zeros(100, 10)
    collapsed[:, 3] = 50  # every image the same class
    assert inception_score(collapsed, splits=1)[0] == pytest.approx(1, abs=1e-3)
    assert math.isfinite(inception_score(torch.randn(100, 10))[1])
