"""The standard FID Inception-v3 (torch-fidelity's port of the TensorFlow graph, through
torchmetrics), run once per image for FID, KID and the Inception Score together.

Weights come from the torch hub cache, `$TORCH_HOME/hub/checkpoints/` (default
`~/.cache/torch/hub/checkpoints/`), and are downloaded there on a connected machine.
Offline, point `TORCH_HOME` at a folder holding
`hub/checkpoints/weights-inception-2015-12-05-6726825d.pth`.
Grayscale images are repeated to three channels; torchmetrics resizes to 299×299.
"""

from pathlib import Path

import torch
from torch import nn
from torchmetrics.image.fid import NoTrainInceptionV3

from ganlab.errors import UsageError

WEIGHTS_FILE = "weights-inception-2015-12-05-6726825d.pth"
POOL_FEATURES = 2048


def weights_path() -> Path:
    """Where torch-fidelity looks for (and downloads) the weights."""
    return Path(torch.hub.get_dir()) / "checkpoints" / WEIGHTS_FILE


class InceptionFeatures(nn.Module):
    """uint8 images (N, 1 or 3, H, W) → 2048-d pool features, the network torchmetrics'
    `FrechetInceptionDistance()` builds by default (same resize, same weights)."""

    def __init__(self):
        super().__init__()
        try:
            self.net = NoTrainInceptionV3(
                name="inception-v3-compat", features_list=[str(POOL_FEATURES)]
            )
        except Exception as error:
            raise UsageError(
                f"the FID Inception weights are not in {weights_path()} and could not be "
                f"downloaded ({type(error).__name__}): put {WEIGHTS_FILE} in "
                "$TORCH_HOME/hub/checkpoints/ and set TORCH_HOME to that folder "
                "(here: TORCH_HOME=../shared/torch_home), or choose metrics without fid/kid/is"
            ) from None

    @property
    def has_classification_head(self) -> bool:
        """False for weight files whose `fc` layer is missing or not finite (such as the
        offline copy here): the pool features are fine, the Inception Score is not."""
        return bool(torch.isfinite(self.net.fc.weight).all())

    @torch.inference_mode()
    def forward(self, images: torch.Tensor) -> torch.Tensor:
        if images.dtype != torch.uint8:
            raise TypeError("InceptionFeatures takes uint8 images")
        if images.shape[1] == 1:
            images = images.expand(-1, 3, -1, -1)
        return self.net(images).float()

    @torch.inference_mode()
    def logits(self, pool: torch.Tensor) -> torch.Tensor:
        """The 1008 unbiased logits of the Inception Score from pool features: exactly the
        `logits_unbiased` output torchmetrics' `InceptionScore` uses (`pool @ fc.weight.T`)."""
        return pool.to(self.net.fc.weight) @ self.net.fc.weight.T
