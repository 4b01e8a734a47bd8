"""What to try for each verdict, as ganlab overrides with values worked out from the run's
own settings: the remedies of Generative Deep Learning (Foster, ch. 4) for a discriminator
that dominates (dropout, a lower discriminator learning rate, fewer filters, label noise and
flips), the opposite for mode collapse, and larger batches and lower learning rates."""

from collections.abc import Mapping

from ganlab.diagnosis.rules import (
    DISCRIMINATOR_DOMINATES,
    DIVERGENCE,
    MODE_COLLAPSE,
    VANISHING_GRADIENT,
)

Settings = Mapping[str, object]
"""The run's settings under their override names (`model.optim.lr`, `data.batch_size`, …)."""


def rate(settings: Settings, network: str) -> float | None:
    """The learning rate of 'g' or 'd': `lr_g`/`lr_d` when set, else the shared `lr`."""
    value = settings.get(f"model.optim.lr_{network}") or settings.get("model.optim.lr")
    return float(value) if isinstance(value, int | float) else None


def number(settings: Settings, key: str) -> float | None:
    value = settings.get(key)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def weaker_discriminator(settings: Settings) -> list[str]:
    overrides = []
    if (lr_d := rate(settings, "d")) is not None:
        overrides.append(f"model.optim.lr_d={lr_d / 4:.3g}")
    dropout = number(settings, "model.net.discriminator.dropout")
    if dropout is not None and dropout < 0.5:
        overrides.append(f"model.net.discriminator.dropout={min(dropout + 0.2, 0.5):.2g}")
    channels = number(settings, "model.net.discriminator.base_channels")
    if channels is not None and channels >= 16:
        overrides.append(f"model.net.discriminator.base_channels={int(channels) // 2}")
    if number(settings, "model.label_noise") == 0.0:
        overrides.append("model.label_noise=0.1")
    if number(settings, "model.label_flip") == 0.0:
        overrides.append("model.label_flip=0.05")
    return overrides


def stronger_discriminator(settings: Settings) -> list[str]:
    overrides = []
    if (lr_g := rate(settings, "g")) is not None:
        overrides.append(f"model.optim.lr_g={lr_g / 2:.3g}")
    dropout = number(settings, "model.net.discriminator.dropout")
    if dropout:
        overrides.append(f"model.net.discriminator.dropout={max(dropout - 0.2, 0.0):.2g}")
    for trick in ("model.label_noise", "model.label_flip"):
        if number(settings, trick):
            overrides.append(f"{trick}=0.0")
    if (batch := number(settings, "data.batch_size")) is not None:
        overrides.append(f"data.batch_size={int(batch) * 2}")
    latent = number(settings, "model.latent_dim")
    if latent is not None and latent < 16:
        overrides.append("model.latent_dim=100")
    return overrides


def teaching_discriminator(settings: Settings) -> list[str]:
    """The generator learns nothing from a discriminator it fools completely (or one that
    saturates): let the discriminator learn as fast as the generator, at a lower rate."""
    overrides = []
    lr_g, lr_d = rate(settings, "g"), rate(settings, "d")
    if lr_g is not None and lr_d is not None and lr_d < lr_g:
        overrides.append(f"model.optim.lr_d={lr_g:.3g}")
    if (lr := number(settings, "model.optim.lr")) is not None:
        overrides.append(f"model.optim.lr={lr / 2:.3g}")
    return overrides


def calmer_training(settings: Settings) -> list[str]:
    overrides = []
    if (lr := number(settings, "model.optim.lr")) is not None:
        overrides.append(f"model.optim.lr={lr / 10:.3g}")
    if (batch := number(settings, "data.batch_size")) is not None:
        overrides.append(f"data.batch_size={int(batch) * 2}")
    overrides.append("on_divergence=skip_batch")
    return overrides


REMEDIES = {
    DISCRIMINATOR_DOMINATES: weaker_discriminator,
    MODE_COLLAPSE: stronger_discriminator,
    VANISHING_GRADIENT: teaching_discriminator,
    DIVERGENCE: calmer_training,
}


def remedies(verdict: str, settings: Settings) -> list[str]:
    """Overrides to try for `verdict` (none for `healthy`); only keys the run has."""
    action = REMEDIES.get(verdict)
    return action(settings) if action else []
