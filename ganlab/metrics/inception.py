"""The standard FID Inception-v3 (torch-fidelity's port of the TensorFlow graph, through
torchmetrics), run once per image for FID, KID and the Inception Score together.

Weights come from the torch hub cache, `$TORCH_HOME/hub/checkpoints/` (default
`~/.cache/torch/hub/checkpoints/`), and are downloaded there on a connected machine.
Offline, point `TORCH_HOME` at a folder holding
`hub/checkpoints/weights-inception-2015-12-05-6726825d.pth`.
Grayscale images are repeated to three channels and resized to 299×299 by `resize`:
`tf1_bilinear` (TensorFlow 1's `resize_bilinear`, what the original TF FID code, Lucic et
al. 2018 and torch-fidelity use) or `antialias` (torch's antialiased bilinear: the default of
the torchmetrics releases that offer the choice; older ones resize like TensorFlow 1). On
28×28 digits the two differ by ~36 grey levels per pixel on average: an FID is comparable
only with FIDs at the same resize.
"""

import hashlib
import inspect
from functools import cache
from pathlib import Path

import torch
from torch import nn
from torchmetrics.image.fid import NoTrainInceptionV3

from ganlab.errors import UsageError

WEIGHTS_FILE = "weights-inception-2015-12-05-6726825d.pth"
POOL_FEATURES = 2048
INPUT_SIZE = 299
RESIZES = ("tf1_bilinear", "antialias")


def weights_path() -> Path:
    """Where torch-fidelity looks for (and downloads) the weights."""
    return Path(torch.hub.get_dir()) / "checkpoints" / WEIGHTS_FILE


@cache
def _file_sha256(path: Path, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def weights_sha256() -> str | None:
    """SHA-256 of the weights file in use (None when it is absent); read once per process."""
    path = weights_path()
    if not path.is_file():
        return None
    stat = path.stat()
    return _file_sha256(path, stat.st_size, stat.st_mtime_ns)


def check_resize(resize: str) -> None:
    if resize not in RESIZES:
        raise UsageError(f"resize={resize} is not one of {', '.join(RESIZES)}")
    takes_antialias = "antialias" in inspect.signature(NoTrainInceptionV3.__init__).parameters
    if resize == "antialias" and not takes_antialias:
        raise UsageError(
            "resize=antialias needs a torchmetrics whose Inception takes `antialias` (this "
            "one resizes like TensorFlow 1 only): upgrade torchmetrics or use resize=tf1_bilinear"
        )


class InceptionFeatures(nn.Module):
    """uint8 images (N, 1 or 3, H, W) → 2048-d pool features, the network torchmetrics'
    `FrechetInceptionDistance()` builds (same weights; its `antialias` chosen by `resize`)."""

    def __init__(self, resize: str = "tf1_bilinear"):
        super().__init__()
        check_resize(resize)
        self.resize = resize
        choice = {}
        if "antialias" in inspect.signature(NoTrainInceptionV3.__init__).parameters:
            choice["antialias"] = resize == "antialias"
        try:
            # its layers' random initialisation, which the weights replace, is drawn from a
            # forked generator: a seeded run that scores FID while training (callbacks=metrics)
            # keeps the random stream it would have without the metric
            with torch.random.fork_rng(devices=[]):
                self.net = NoTrainInceptionV3(
                    name="inception-v3-compat", features_list=[str(POOL_FEATURES)], **choice
                )
        except Exception as error:
            raise UsageError(
                f"the FID Inception weights are not in {weights_path()} and could not be "
                f"downloaded ({type(error).__name__}): put {WEIGHTS_FILE} in "
                "$TORCH_HOME/hub/checkpoints/ and set TORCH_HOME to that folder "
                "(here: TORCH_HOME=../shared/torch_home), or choose metrics without fid/kid/is"
            ) from None
        # NHWC convolutions: oneDNN's fast path on CPUs (BENCHMARKS.md#inception-on-the-cpu),
        # the same features to float rounding
        self.net.to(memory_format=torch.channels_last)

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
