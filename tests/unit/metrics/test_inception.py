"""The real FID Inception network, offline: FID/KID of a set against itself and against
noise, and agreement with torchmetrics' own FrechetInceptionDistance on images."""

from inspect import signature

import pytest
import torch
import torch_fidelity.feature_extractor_inceptionv3 as fidelity
from torchmetrics.image.fid import FrechetInceptionDistance

from ganlab.errors import UsageError
from ganlab.metrics.distances import frechet_distance, kernel_distance
from ganlab.metrics.inception import InceptionFeatures, weights_path
from tests.helpers import write_mnist

COUNT = 10


def needs_weights():
    if not weights_path().is_file():
        pytest.skip(f"no Inception weights at {weights_path()} (set TORCH_HOME)")


@pytest.fixture(scope="module")
def digits(tmp_path_factory):
    from ganlab.data.mnist import MNISTDataModule

    root = write_mnist(tmp_path_factory.mktemp("digits"), count=COUNT)
    datamodule = MNISTDataModule(root=str(root), splits=["test"], download=False)
    datamodule.setup()
    return datamodule.train_set.images


@pytest.fixture(scope="module")
def noise():
    return torch.randint(0, 256, (COUNT, 1, 28, 28), dtype=torch.uint8)


@pytest.fixture(scope="module")
def inception():
    needs_weights()
    return InceptionFeatures()


@pytest.fixture(scope="module")
def features(inception, digits, noise):
    return inception(digits), inception(noise)


@pytest.fixture(scope="module")
def fid_against_noise(features):
    return frechet_distance(*features)  # each 2048-d FID costs seconds: compute it once


def test_fid_of_a_set_with_itself_is_zero_and_with_noise_large(features, fid_against_noise):
    real, _ = features
    assert real.shape == (COUNT, 2048)
    assert frechet_distance(real, real) == pytest.approx(0, abs=1e-2)
    assert fid_against_noise > 100


def test_kid_of_a_set_with_itself_is_near_zero_and_with_noise_large(features):
    # KID's unbiased estimate of a set against itself is close to 0, not exactly 0
    real, fake = features
    same, other = kernel_distance(real, real)[0], kernel_distance(real, fake)[0]
    assert abs(same) < 0.05 and other > 10 * abs(same)


def test_fid_matches_torchmetrics_on_the_images(fid_against_noise, digits, noise):
    takes_antialias = "antialias" in signature(FrechetInceptionDistance).parameters
    tf1 = {"antialias": False} if takes_antialias else {}  # ganlab's default resize
    reference = FrechetInceptionDistance(feature=2048, **tf1)
    reference.update(digits.expand(-1, 3, -1, -1), real=True)
    reference.update(noise.expand(-1, 3, -1, -1), real=False)
    assert fid_against_noise == pytest.approx(float(reference.compute()), rel=1e-3)


def test_the_resize_changes_the_features(inception, digits, features):
    try:
        antialiased = InceptionFeatures("antialias")(digits)
    except UsageError:
        pytest.skip("this torchmetrics resizes like TensorFlow 1 only")
    tf1, _ = features
    assert (antialiased - tf1).norm(dim=1).mean() > 0.1 * tf1.norm(dim=1).mean()


def test_shared_weights_have_no_classification_head(inception):
    # ../shared/torch_home's copy has NaN fc weights: the Inception Score must say so
    if torch.isfinite(inception.net.fc.weight).all():
        pytest.skip("these Inception weights carry a classification head")
    assert not inception.has_classification_head


def test_missing_weights_offline_say_where_to_put_them(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))

    def offline(*args, **kwargs):
        raise OSError("no network")

    monkeypatch.setattr(fidelity, "load_state_dict_from_url", offline)
    with pytest.raises(UsageError, match="TORCH_HOME") as error:
        InceptionFeatures()
    assert "weights-inception-2015-12-05-6726825d.pth" in str(error.value)
    assert str(tmp_path) in str(error.value)


def test_building_it_draws_nothing_from_the_global_random_generator():
    needs_weights()
    torch.manual_seed(3)
    before = torch.get_rng_state()
    InceptionFeatures()
    assert torch.equal(torch.get_rng_state(), before)
