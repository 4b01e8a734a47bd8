"""ganlab's own MNIST classifier: the feature space of `domain_fid` and the judge of
`label_accuracy`, `class_entropy` and `mean_confidence`.

A small CNN (about 140k parameters, stored in fp16 as package data, under 0.3 MB) trained by
`python -m ganlab.metrics.train_classifier`; the file records what it was trained on, the
held-out accuracy and the command. Inception features describe photographs; these features
describe digits, so `domain_fid` reacts to what matters on MNIST (stroke shape, digit identity).
"""

from pathlib import Path
from typing import Any

import torch
from torch import nn

from ganlab.data.scaling import to_unit_range
from ganlab.errors import GanlabError
from ganlab.run.atomic import write_atomically

WEIGHTS = Path(__file__).resolve().parent / "mnist_classifier.pt"
IMAGE_SHAPE = (1, 28, 28)
DIGITS = [str(digit) for digit in range(10)]


def conv_block(in_channels: int, out_channels: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
    )


class MnistClassifier(nn.Module):
    """28×28 grayscale in [-1, 1] → 10 digit logits; `features` gives the 128-d embedding."""

    num_features = 128

    def __init__(self, dropout: float = 0.3):
        super().__init__()
        self.body = nn.Sequential(
            conv_block(1, 32),
            conv_block(32, 32),
            nn.MaxPool2d(2),
            conv_block(32, 64),
            conv_block(64, 64),
            nn.MaxPool2d(2),
            conv_block(64, 128),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
        )
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(128, 10))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


def save_classifier(model: MnistClassifier, path: Path, info: dict[str, Any]) -> None:
    """Weights in fp16 (halves the package size; accuracy is checked after the round trip)."""
    state = {k: v.half() if v.is_floating_point() else v for k, v in model.state_dict().items()}
    record = {"state_dict": state, "info": info}
    write_atomically(path, lambda file: torch.save(record, file), "classifier weights")


def load_classifier(
    path: Path = WEIGHTS, device: str | torch.device = "cpu"
) -> tuple[MnistClassifier, dict[str, Any]]:
    """The trained classifier in eval mode, and the record of how it was trained. Built on
    the meta device and given the saved tensors, so that loading it draws nothing from the
    global random generator: a seeded training run that loads it (class coverage) trains as
    it would without it."""
    if not Path(path).is_file():
        raise GanlabError(
            f"the MNIST classifier weights are missing ({path}): reinstall ganlab, or retrain "
            "them with `python -m ganlab.metrics.train_classifier data.root=DIR`"
        )
    saved = torch.load(path, map_location="cpu", weights_only=True)
    with torch.device("meta"):
        model = MnistClassifier()
    state = saved["state_dict"]
    state = {k: v.float() if v.is_floating_point() else v for k, v in state.items()}
    model.load_state_dict(state, assign=True)
    return model.eval().to(device), saved["info"]


def as_classifier_input(images: torch.Tensor) -> torch.Tensor:
    """uint8 images (N, 1, 28, 28) → float [-1, 1], the range the classifier was trained on."""
    return to_unit_range(images)
