"""Real-data features cached on disk, so a second evaluation skips the real images' pass.

One file per data set, reference size and feature extractor under
`$GANLAB_CACHE/reference/` (default `~/.cache/ganlab/reference/`), named after the data
and keyed by a hash of its description (data-module class, root made absolute, splits, image
size …). Delete the folder after changing data files in place; `cache=false` bypasses it.
`export_statistics` writes the Inception statistics as pytorch-fid's `.npz` for other tools.
"""

import hashlib
import json
import os
import re
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ganlab import __version__


def default_cache_dir() -> Path:
    return Path(os.environ.get("GANLAB_CACHE", "~/.cache/ganlab")).expanduser() / "reference"


def cache_file(cache_dir: Path, source: dict[str, Any], extractor: str) -> Path:
    key = json.dumps({"source": source, "extractor": extractor}, sort_keys=True, default=str)
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    data = source.get("datamodule", source.get("npz", "data")).rsplit(".", 1)[-1]
    splits = "-".join(source.get("splits", []))
    name = "_".join(p for p in (data, splits, f"n{source.get('real_n')}", extractor) if p)
    return cache_dir / f"{re.sub(r'[^A-Za-z0-9_.-]', '-', name)}_{digest}.pt"


def cached_features(
    source: dict[str, Any],
    extractor: str,
    compute: Callable[[], torch.Tensor],
    cache_dir: Path | None,
) -> tuple[torch.Tensor, bool]:
    """The features of the reference images: read from the cache, or computed and stored.
    Returns (features, whether they came from the cache)."""
    if cache_dir is None:
        return compute(), False
    path = cache_file(cache_dir, source, extractor)
    if path.is_file():
        saved = torch.load(path, map_location="cpu", weights_only=True)
        if saved.get("source") == json.loads(json.dumps(source, default=str)):
            return saved["features"], True
    features = compute()
    record = {
        "source": json.loads(json.dumps(source, default=str)),
        "extractor": extractor,
        "ganlab": __version__,
        "features": features,
    }
    partial = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save(record, partial)
        partial.replace(path)
    except OSError as error:
        warnings.warn(f"could not cache the reference features in {path}: {error}", stacklevel=2)
    return features, False


def export_statistics(path: Path, features: torch.Tensor, protocol: dict[str, Any]) -> None:
    """pytorch-fid's `.npz` of a reference set: `mu` (D,) and `sigma` (D, D, the unbiased
    covariance, as `np.cov`) in float64, plus `protocol`: the real images, features and
    resize as a JSON string (a unicode array: it loads with allow_pickle=False)."""
    features = features.double()
    described = {key: protocol[key] for key in ("real", "features", "resize")}
    np.savez(
        path,
        mu=features.mean(0).numpy(),
        sigma=torch.cov(features.T).numpy(),
        protocol=np.array(json.dumps(described)),
    )
