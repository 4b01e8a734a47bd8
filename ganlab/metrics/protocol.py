"""The evaluation protocol an FID was measured under, so the number travels with it.

An FID depends on more than the generator: the number of generated and real images (FID is
biased upwards at small counts, the bias falling roughly as 1/N: Bińkowski et al. 2018,
Chong & Forsyth 2020), which real images, the feature network and its weights, and how
images are resized for it. `conf/protocol/*.yaml` names the standard choices;
`protocol_record` writes down what a run actually used and where it departs from them.
"""

import hashlib
import sys
from typing import Any

import torch
from omegaconf import DictConfig, OmegaConf

from ganlab.metrics.inception import INPUT_SIZE, POOL_FEATURES, weights_path, weights_sha256
from ganlab.metrics.real_images import RealImages

STANDARD_COUNT = 10_000
# real MNIST test digits against other real test digits at 1,000 vs 1,000 (docs/results.md)
MNIST_FLOOR_AT_1000 = 11.3


def protocol_count(value: Any, protocol: DictConfig, device: torch.device) -> Any:
    """`auto` → the protocol's count for this machine (its `cpu_n` on a CPU, when it has
    one); any other value is the user's and is kept."""
    if value != "auto":
        return value
    if device.type == "cpu" and protocol.get("cpu_n"):
        return protocol.cpu_n
    return protocol.n


def capped_real_count(real_n: Any, requested: Any, total: int) -> int | None:
    """An `auto` reference count never asks for more images than the data holds; an
    explicit one is checked later, as given."""
    if requested != "auto":
        return real_n
    return min(real_n, total)


def bias_warning(n: int, real_n: int) -> str | None:
    """What a reader of an FID at fewer than the standard counts must know (None: standard)."""
    if min(n, real_n) >= STANDARD_COUNT:
        return None
    return (
        f"FID from {n} generated against {real_n} real images is biased upwards, and the "
        "bias falls roughly as 1/N (Binkowski et al. 2018; Chong & Forsyth 2020): on MNIST "
        f"real digits score {MNIST_FLOOR_AT_1000} against other real digits at 1,000 vs "
        "1,000 rather than 0. Compare it only with FIDs at the same counts; the standard "
        "n=10000 real_n=10000 takes about an hour on a CPU, minutes on a GPU"
    )


def warn(message: str) -> None:
    print(f"ganlab: warning: {message}", file=sys.stderr)


def indices_record(reference: RealImages, total: int) -> dict[str, Any]:
    """Which of the data set's images form the reference: reproducible by rule, checkable by
    hash (the SHA-256 of the positions as little-endian int64)."""
    positions = (
        torch.arange(total) if reference.indices is None else reference.indices.sort().values
    )
    digest = hashlib.sha256(positions.to(torch.int64).numpy().astype("<i8").tobytes())
    selection = (
        "all of them"
        if len(reference) == total
        else f"the first {len(reference)} of torch.randperm({total}, generator="
        "torch.Generator().manual_seed(0)), positions in the data set's order"
    )
    return {"of": total, "selection": selection, "sha256": digest.hexdigest()}


def weights_kind(model: torch.nn.Module | None) -> str | None:
    """`ema` when the images come from a generator's moving average, `raw` from its trained
    weights, None when no generator made them (`samples=` a file or real images)."""
    if model is None:
        return None
    averaged = getattr(model, "ema", None) is not None
    return "ema" if averaged and getattr(model, "sample_with_ema", True) else "raw"


def protocol_record(
    protocol: DictConfig,
    *,
    n: int,
    samples: str,
    seed: int,
    weights: str | None,
    reference: RealImages,
    total: int,
    resize: str,
    inception: bool,
) -> dict[str, Any]:
    """The `protocol` block of `metrics.json`: what was compared with what, how, and where it
    departs from the named protocol (`deviations`, empty when the numbers are comparable
    with the protocol's)."""
    source = reference.source
    splits = source.get("splits")
    channels = reference.images.shape[1]
    used = {"n": n, "real_n": len(reference), "resize": resize}
    if protocol.get("splits") is not None:
        used["splits"] = splits
    named = OmegaConf.to_container(protocol, resolve=True)
    wanted = {key: named[key] for key in used}
    deviations = {
        key: {"protocol": wanted[key], "used": used[key]}
        for key in used
        if used[key] != wanted[key]
    }
    return {
        "name": protocol.name,
        "comparable": not deviations,
        "deviations": deviations,
        "reference_scores": named.get("reference_scores") or {},
        "generated": {"n": n, "samples": samples, "seed": seed, "weights": weights},
        "real": {
            "n": len(reference),
            "data": source.get("datamodule", source.get("npz")),
            "splits": splits,
            "root": source.get("root"),
            "indices": indices_record(reference, total),
        },
        "features": (
            {
                "extractor": "Inception-v3, torch-fidelity's port of the TensorFlow FID graph "
                "(inception-2015-12-05), through torchmetrics",
                "layer": "pool3",
                "dims": POOL_FEATURES,
                "weights_file": str(weights_path()),
                "weights_sha256": weights_sha256(),
            }
            if inception
            else None
        ),
        "resize": {
            "method": resize,
            "size": INPUT_SIZE,
            "channels": "greyscale tiled to 3" if channels == 1 else f"{channels} as given",
        },
        "bias": bias_warning(n, len(reference)),
    }
