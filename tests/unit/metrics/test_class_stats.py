"""The classifier-read statistics with known answers."""

import pytest
import torch

from ganlab.metrics.class_stats import class_entropy, label_accuracy, mean_confidence


def one_hot(classes: list[int], confidence: float = 1.0) -> torch.Tensor:
    probabilities = torch.full((len(classes), 10), (1 - confidence) / 9)
    probabilities[torch.arange(len(classes)), torch.tensor(classes)] = confidence
    return probabilities


def test_class_entropy_is_one_for_all_digits_and_zero_for_one():
    assert class_entropy(one_hot(list(range(10)) * 3)) == pytest.approx(1.0)
    assert str(class_entropy(one_hot([4] * 30))) == "0.0"
    assert 0 < class_entropy(one_hot([1, 1, 1, 2])) < 0.5


def test_label_accuracy_counts_matches():
    assert label_accuracy(one_hot([1, 2, 3, 4]), torch.tensor([1, 2, 0, 4])) == 0.75


def test_mean_confidence_is_the_mean_top_probability():
    assert mean_confidence(one_hot([0, 5], confidence=0.6)) == pytest.approx(0.6)
