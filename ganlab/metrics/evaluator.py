"""Every ganlab metric of a set of generated images against a reference set of real images.

Shared by `python -m ganlab.evaluate` and the training callback. Each image passes once
through each feature extractor it needs (Inception for fid/kid/is, ganlab's MNIST classifier
for the domain metrics); the reference set's features come from the cache when they can.
A metric that cannot be computed here is reported as unavailable with the reason, never
as a number.
"""

import time
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import torch

from ganlab.errors import UsageError
from ganlab.metrics.class_stats import (
    class_entropy,
    expected_modes,
    label_accuracy,
    mean_confidence,
    mode_coverage,
)
from ganlab.metrics.distances import frechet_distance, inception_score, kernel_distance
from ganlab.metrics.inception import InceptionFeatures, weights_path
from ganlab.metrics.manifold import DENSITY_COVERAGE_K, PRECISION_RECALL_K, manifold_scores
from ganlab.metrics.mnist_classifier import (
    DIGITS,
    IMAGE_SHAPE,
    as_classifier_input,
    load_classifier,
)
from ganlab.metrics.nearest import nearest_real
from ganlab.metrics.real_images import RealImages
from ganlab.metrics.reference import cached_features

FIELDS = {
    "fid": ("fid",),
    "kid": ("kid_mean", "kid_std"),
    "is": ("is_mean", "is_std"),
    "precision_recall": ("precision", "recall"),
    "density_coverage": ("density", "coverage"),
    "domain_fid": ("domain_fid",),
    "label_accuracy": ("label_accuracy",),
    "class_entropy": ("class_entropy",),
    "mean_confidence": ("mean_confidence",),
    "nn_l1": ("nn_l1",),
    "modes": ("modes", "modes_kl", "modes_real"),
}
INCEPTION = ("fid", "kid", "is", "precision_recall", "density_coverage")
MANIFOLD = {"precision_recall": PRECISION_RECALL_K, "density_coverage": DENSITY_COVERAGE_K}
DOMAIN = ("domain_fid", "label_accuracy", "class_entropy", "mean_confidence")
STACKED = 3
"""Channels of a Stacked MNIST image, one digit each."""


def parse_metrics(names: list[str] | tuple[str, ...] | str) -> list[str]:
    """Metric names (`kid` or its fields `kid_mean`/`kid_std` …) → metric groups, in order."""
    names = [names] if isinstance(names, str) else list(names)
    groups: list[str] = []
    for name in names:
        group = next((g for g, fields in FIELDS.items() if name == g or name in fields), None)
        if group is None:
            raise UsageError(f"unknown metric {name!r}: choose from {list(FIELDS)}")
        if group not in groups:
            groups.append(group)
    if not groups:
        raise UsageError(f"metrics is empty: choose from {list(FIELDS)}")
    return groups


@dataclass
class Scores:
    values: dict[str, float] = field(default_factory=dict)
    unavailable: dict[str, str] = field(default_factory=dict)
    reference_cached: dict[str, bool] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    nearest_indices: torch.Tensor | None = None


class Evaluator:
    """Scores generated images against `reference` (nn_l1 searches `pool`, by default the
    reference itself)."""

    def __init__(
        self,
        reference: RealImages,
        metrics: list[str],
        pool: RealImages | None = None,
        device: torch.device | str = "cpu",
        batch_size: int = 64,
        cache_dir: Path | None = None,
        seed: int = 0,
        resize: str = "tf1_bilinear",
    ):
        self.reference = reference
        self.pool = pool if pool is not None else reference
        self.metrics = parse_metrics(metrics)
        self.device = torch.device(device)
        self.batch_size = batch_size
        self.cache_dir = cache_dir
        self.seed = seed
        self.resize = resize
        self.classifier_info: dict | None = None
        self._inception: InceptionFeatures | None = None
        self._classifier = None
        self._reference_features: dict[str, torch.Tensor] = {}
        self.reference_cached: dict[str, bool] = {}
        self.reference_seconds = 0.0

    def domain_unavailable(self) -> str | None:
        """Why the MNIST classifier's metrics do not apply to this data (None: they do)."""
        shape = tuple(self.reference.images.shape[1:])
        if shape != IMAGE_SHAPE or self.reference.class_names not in ([], DIGITS):
            return (
                f"needs MNIST digits (1x28x28, classes 0-9); these real images are "
                f"{'x'.join(map(str, shape))} with classes {self.reference.class_names[:4]}…"
            )
        return None

    def inception(self) -> InceptionFeatures:
        if self._inception is None:
            self._inception = InceptionFeatures(self.resize).to(self.device)
        return self._inception

    def classifier(self):
        if self._classifier is None:
            self._classifier, self.classifier_info = load_classifier(device=self.device)
        return self._classifier

    def batched(self, fn, images: torch.Tensor) -> torch.Tensor:
        outputs = [fn(batch.to(self.device)).cpu() for batch in images.split(self.batch_size)]
        return torch.cat(outputs)

    def inception_features(self, images: torch.Tensor) -> torch.Tensor:
        return self.batched(self.inception(), images)

    @torch.inference_mode()
    def classifier_outputs(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(128-d features, class probabilities) of uint8 digit images."""
        model = self.classifier()
        features = self.batched(lambda x: model.features(as_classifier_input(x)), images)
        probabilities = model.head(features.to(self.device)).softmax(1).cpu()
        return features, probabilities

    def digit_features(self, images: torch.Tensor) -> torch.Tensor:
        return self.classifier_outputs(images)[0]

    def reference_features(self, extractor: str) -> torch.Tensor:
        if extractor not in self._reference_features:
            started = time.perf_counter()
            extract = self.inception_features if extractor == "inception" else self.digit_features
            # the resize changes the Inception features: it is part of their cache key
            features, cached = cached_features(
                self.reference.source,
                f"inception_{self.resize}" if extractor == "inception" else extractor,
                partial(extract, self.reference.images),
                self.cache_dir,
            )
            self._reference_features[extractor] = features
            self.reference_cached[extractor] = cached
            self.reference_seconds += time.perf_counter() - started
        return self._reference_features[extractor]

    def prepare(self) -> None:
        """Compute (or load) the reference features now rather than at the first score."""
        if any(m in self.metrics for m in INCEPTION if m != "is"):
            self.reference_features("inception")
        if "domain_fid" in self.metrics and self.domain_unavailable() is None:
            self.reference_features("mnist_classifier")

    def score(self, fake: torch.Tensor, labels: torch.Tensor | None = None) -> Scores:
        """All requested metrics of uint8 images `fake` (N, C, H, W); `labels` are the labels
        they were generated for (conditional runs), for `label_accuracy`."""
        if tuple(fake.shape[1:]) != tuple(self.reference.images.shape[1:]):
            raise UsageError(
                f"the generated images are {tuple(fake.shape[1:])} but the real images are "
                f"{tuple(self.reference.images.shape[1:])}: compare with real data of that shape"
            )
        self.prepare()
        scores = Scores(reference_cached=dict(self.reference_cached))
        scores.seconds["reference"] = round(self.reference_seconds, 2)
        if any(m in self.metrics for m in INCEPTION):
            self.score_inception(fake, scores)
        if any(m in self.metrics for m in DOMAIN):
            self.score_domain(fake, labels, scores)
        if "modes" in self.metrics:
            self.score_modes(fake, scores)
        if "nn_l1" in self.metrics:
            started = time.perf_counter()
            distances, scores.nearest_indices = nearest_real(fake, self.pool.images, self.device)
            scores.values["nn_l1"] = distances.mean().item()
            scores.seconds["nn_l1"] = round(time.perf_counter() - started, 2)
        return scores

    def score_inception(self, fake: torch.Tensor, scores: Scores) -> None:
        started = time.perf_counter()
        pool = self.inception_features(fake)
        if "fid" in self.metrics:
            scores.values["fid"] = frechet_distance(self.reference_features("inception"), pool)
        if "kid" in self.metrics:
            mean, std = kernel_distance(self.reference_features("inception"), pool, self.seed)
            scores.values.update(kid_mean=mean, kid_std=std)
        if "is" in self.metrics:
            if self.inception().has_classification_head:
                mean, std = inception_score(self.inception().logits(pool).cpu(), self.seed)
                scores.values.update(is_mean=mean, is_std=std)
            else:
                scores.unavailable["is"] = (
                    f"the Inception weights in {weights_path()} have no classification head "
                    "(non-finite fc weights): the Inception Score needs the full weights"
                )
        self.score_manifold(pool, scores)
        scores.seconds["inception"] = round(time.perf_counter() - started, 2)

    def score_manifold(self, fake: torch.Tensor, scores: Scores) -> None:
        """precision/recall and density/coverage, from one pass over the k-NN distances."""
        ks = {}
        for group in (g for g in MANIFOLD if g in self.metrics):
            reference = self.reference_features("inception")
            if min(len(reference), len(fake)) <= MANIFOLD[group]:
                scores.unavailable[group] = (
                    f"needs more than k={MANIFOLD[group]} generated and real images, got "
                    f"{len(fake)} and {len(reference)}"
                )
            else:
                ks[group] = MANIFOLD[group]
        if ks:
            reference = self.reference_features("inception").to(self.device)
            scores.values.update(
                manifold_scores(
                    reference,
                    fake.to(self.device),
                    k_pr=ks.get("precision_recall"),
                    k_dc=ks.get("density_coverage"),
                )
            )

    def score_modes(self, fake: torch.Tensor, scores: Scores) -> None:
        """Stacked MNIST: the classifier reads each channel as a digit."""
        channels, *size = fake.shape[1:]
        if channels != STACKED or tuple([1, *size]) != IMAGE_SHAPE:
            scores.unavailable["modes"] = (
                f"needs Stacked MNIST (3x28x28: a digit per channel, data=stacked_mnist); these "
                f"images are {'x'.join(map(str, fake.shape[1:]))}"
            )
            return
        started = time.perf_counter()
        read = [self.classifier_outputs(fake[:, c : c + 1])[1] for c in range(channels)]
        scores.values["modes"], scores.values["modes_kl"] = mode_coverage(read)
        scores.values["modes_real"] = expected_modes(len(fake), read[0].shape[1] ** channels)
        scores.seconds["modes"] = round(time.perf_counter() - started, 2)

    def score_domain(self, fake: torch.Tensor, labels: torch.Tensor | None, scores: Scores) -> None:
        reason = self.domain_unavailable()
        requested = [m for m in DOMAIN if m in self.metrics]
        if reason is not None:
            scores.unavailable.update({m: reason for m in requested})
            return
        started = time.perf_counter()
        features, probabilities = self.classifier_outputs(fake)
        if "domain_fid" in requested:
            reference = self.reference_features("mnist_classifier")
            scores.values["domain_fid"] = frechet_distance(reference, features)
        if "label_accuracy" in requested:
            if labels is None:
                scores.unavailable["label_accuracy"] = "the images have no requested labels"
            else:
                scores.values["label_accuracy"] = label_accuracy(probabilities, labels)
        if "class_entropy" in requested:
            scores.values["class_entropy"] = class_entropy(probabilities)
        if "mean_confidence" in requested:
            scores.values["mean_confidence"] = mean_confidence(probabilities)
        scores.seconds["classifier"] = round(time.perf_counter() - started, 2)
