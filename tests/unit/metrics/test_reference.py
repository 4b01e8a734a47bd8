"""The reference-feature cache."""

import torch

from ganlab.metrics.reference import cache_file, cached_features

SOURCE = {"datamodule": "ganlab.data.mnist.MNISTDataModule", "splits": ["test"], "real_n": 8}


def test_second_call_reads_the_cache(tmp_path):
    calls = []

    def compute():
        calls.append(1)
        return torch.randn(8, 4)

    first, cached_first = cached_features(SOURCE, "inception", compute, tmp_path)
    second, cached_second = cached_features(SOURCE, "inception", compute, tmp_path)
    assert (cached_first, cached_second) == (False, True) and len(calls) == 1
    assert torch.equal(first, second)


def test_data_and_extractor_get_their_own_files(tmp_path):
    other_split = {**SOURCE, "splits": ["train"]}
    names = {
        cache_file(tmp_path, SOURCE, "inception"),
        cache_file(tmp_path, other_split, "inception"),
        cache_file(tmp_path, SOURCE, "mnist_classifier"),
        cache_file(tmp_path, {**SOURCE, "real_n": 9}, "inception"),
    }
    assert len(names) == 4
    assert cache_file(tmp_path, SOURCE, "inception").name.startswith("MNISTDataModule_test_n8")


def test_no_cache_dir_always_computes():
    features, cached = cached_features(SOURCE, "inception", lambda: torch.ones(2, 2), None)
    assert not cached and torch.equal(features, torch.ones(2, 2))
