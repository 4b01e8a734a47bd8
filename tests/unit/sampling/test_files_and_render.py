"""Sampling helpers: the npz convention, labels, uint8 scaling, interpolation."""

import math

import numpy as np
import pytest
import torch

from ganlab.data.scaling import to_uint8
from ganlab.errors import UsageError
from ganlab.sampling.files import load_npz, save_npz
from ganlab.sampling.interpolation import interpolation_strips, slerp
from ganlab.sampling.latents import balanced_labels, latent_vectors


def test_npz_is_uint8_nhwc_arr_0_with_labels(tmp_path):
    images = torch.randint(0, 256, (5, 1, 6, 4), dtype=torch.uint8)
    labels = torch.tensor([0, 1, 2, 3, 4])
    save_npz(tmp_path / "s.npz", images, labels)
    with np.load(tmp_path / "s.npz") as data:
        assert sorted(data.files) == ["arr_0", "labels"]
        assert data["arr_0"].dtype == np.uint8 and data["arr_0"].shape == (5, 6, 4, 1)
        assert np.array_equal(data["arr_0"][2, :, :, 0], images[2, 0].numpy())
        assert data["labels"].dtype == np.int64
    back, back_labels = load_npz(tmp_path / "s.npz")
    assert torch.equal(back, images) and torch.equal(back_labels, labels)


def test_npz_without_labels_has_only_arr_0(tmp_path):
    save_npz(tmp_path / "s.npz", torch.zeros(2, 3, 4, 4, dtype=torch.uint8))
    with np.load(tmp_path / "s.npz") as data:
        assert data.files == ["arr_0"] and data["arr_0"].shape == (2, 4, 4, 3)


@pytest.mark.parametrize("content", [b"not a zip", None], ids=["not-npz", "float-images"])
def test_bad_npz_is_a_usage_error(tmp_path, content):
    path = tmp_path / "bad.npz"
    if content is None:
        np.savez(path, arr_0=np.zeros((2, 4, 4, 1), dtype=np.float32))
    else:
        path.write_bytes(content)
    with pytest.raises(UsageError, match="arr_0"):
        load_npz(path)


def test_uint8_scaling_inverts_the_data_modules():
    pixels = torch.arange(256, dtype=torch.uint8)
    assert torch.equal(to_uint8(pixels.float() / 127.5 - 1), pixels)
    assert to_uint8(torch.tensor([-3.0, 3.0])).tolist() == [0, 255]


def test_balanced_labels_split_n_evenly_in_class_order():
    labels = balanced_labels(23, 10)
    assert torch.bincount(labels, minlength=10).tolist() == [3, 3, 3] + [2] * 7
    assert torch.equal(labels, labels.sort().values)


def test_latents_depend_on_the_seed_only():
    assert torch.equal(latent_vectors(4, 3, seed=5), latent_vectors(4, 3, seed=5))
    assert not torch.equal(latent_vectors(4, 3, seed=5), latent_vectors(4, 3, seed=6))


def test_slerp_keeps_the_endpoints_and_the_norm():
    a, b = torch.tensor([[2.0, 0.0]]), torch.tensor([[0.0, 2.0]])
    assert torch.allclose(slerp(a, b, torch.tensor([0.0])), a)
    assert torch.allclose(slerp(a, b, torch.tensor([1.0])), b)
    middle = slerp(a, b, torch.tensor([0.5]))
    assert torch.allclose(middle, torch.tensor([[math.sqrt(2), math.sqrt(2)]]))


def test_slerp_of_parallel_vectors_is_linear():
    a = torch.tensor([[1.0, 1.0]])
    assert torch.allclose(slerp(a, 3 * a, torch.tensor([0.5])), 2 * a)


def test_interpolation_strips_are_strip_major():
    starts, ends = torch.randn(3, 8), torch.randn(3, 8)
    z = interpolation_strips(starts, ends, steps=5)
    assert z.shape == (15, 8)
    assert torch.allclose(z[0], starts[0]) and torch.allclose(z[4], ends[0], atol=1e-5)
    assert torch.allclose(z[5], starts[1]) and torch.allclose(z[14], ends[2], atol=1e-5)
