"""What ganlab's MNIST classifier says about a set of generated digits.

- `label_accuracy`: the fraction read as the label they were generated for (conditional runs).
- `class_entropy`: entropy of the histogram of predicted classes over log(classes): 1 when all
  digits are equally present, 0 when every image is read as the same digit (mode collapse).
- `mean_confidence`: the mean probability of the predicted class; low values mean digits the
  classifier cannot read.
- `modes`, `modes_kl` (Stacked MNIST): the digit triples read channel by channel, how many of
  the 1,000 occur, and the KL divergence of their histogram from uniform (PacGAN's protocol);
  `modes_real`: how many as many real stacks cover, on average (the diagnosis compares).
"""

import math

import torch


def label_accuracy(probabilities: torch.Tensor, labels: torch.Tensor) -> float:
    return (probabilities.argmax(1) == labels.to(probabilities.device)).float().mean().item()


def class_entropy(probabilities: torch.Tensor) -> float:
    classes = probabilities.shape[1]
    counts = torch.bincount(probabilities.argmax(1), minlength=classes).double()
    frequencies = counts[counts > 0] / counts.sum()
    entropy = -(frequencies * frequencies.log()).sum().item()
    return entropy / math.log(classes) + 0.0  # + 0.0: one class gives 0.0, not -0.0


def mean_confidence(probabilities: torch.Tensor) -> float:
    return probabilities.max(1).values.mean().item()


def mode_coverage(channel_probabilities: list[torch.Tensor]) -> tuple[int, float]:
    """(modes covered, KL(histogram || uniform)) of images whose channels the classifier read:
    one (N, classes) probability matrix per channel, the mode the tuple of their digits."""
    classes = channel_probabilities[0].shape[1]
    modes = torch.zeros(len(channel_probabilities[0]), dtype=torch.long)
    for probabilities in channel_probabilities:
        modes = modes * classes + probabilities.argmax(1).cpu()
    total = classes ** len(channel_probabilities)
    counts = torch.bincount(modes, minlength=total).double()
    p = counts[counts > 0] / counts.sum()
    return int((counts > 0).sum()), float((p * (p * total).log()).sum())


def expected_modes(n: int, total: int) -> float:
    """The modes n independent draws cover on average when all `total` are equally likely
    (Stacked MNIST: three independent, nearly balanced digits): total·(1 - (1 - 1/total)^n)."""
    return total * (1.0 - (1.0 - 1.0 / total) ** n)
