"""A network pair built from `model.net`, sized from the data, then transformed for training.

The families are pure `nn.Module`s. What training wants of a built network is applied to it
here, each in one place, from keys that sit beside the family's own options in
`model.net.generator` / `model.net.discriminator`: `cpu_tricks` (the image-side convolutions
and dropout masks on faster CPU kernels, `ganlab.nets.image_conv`, `ganlab.nets.layers`;
absent: off), `init` (the initialisation scheme, `ganlab.nets.init`; absent: the family's
`default_init`, else PyTorch's) and `spectral_norm` (`ganlab.nets.spectral`). Each network is
built and transformed before the next is built, so the random draws keep their order.
"""

from typing import Any

from hydra.errors import InstantiationException
from hydra.utils import instantiate
from torch import nn

from ganlab.errors import UsageError
from ganlab.nets.image_conv import route_to_torch_kernels
from ganlab.nets.init import initialise
from ganlab.nets.spectral import spectrally_normalise

TRANSFORMS = ("cpu_tricks", "init", "spectral_norm")


def transformed(network: nn.Module, options: dict[str, Any]) -> nn.Module:
    """`network` with the `TRANSFORMS` that `options` asks for, in place."""
    if options.get("cpu_tricks", False):
        route_to_torch_kernels(network)
    initialise(network, options.get("init", getattr(network, "default_init", "default")))
    return spectrally_normalise(network, options.get("spectral_norm", False))


def built(config: dict[str, Any], **shape: Any) -> nn.Module:
    """One network from its config (a `_target_` and options), transformed."""
    options = {key: config[key] for key in TRANSFORMS if key in config}
    family = {key: value for key, value in config.items() if key not in TRANSFORMS}
    return transformed(instantiate(family, **shape), options)


def build_pair(
    net: dict[str, Any],
    latent_dim: int,
    image_shape: tuple[int, int, int],
    num_classes: int,
    auxiliary_classifier: bool = False,
) -> tuple[nn.Module, nn.Module]:
    """(generator, discriminator); a shape or option a family refuses is one UsageError.
    `auxiliary_classifier`: the discriminator also gets AC-GAN's class head (the procedure's
    `auxiliary_classifier_weight`, not a network option)."""
    try:
        generator = built(
            net["generator"],
            latent_dim=latent_dim,
            image_shape=image_shape,
            num_classes=num_classes,
        )
        head = {"auxiliary_classifier": True} if auxiliary_classifier else {}
        discriminator = built(
            net["discriminator"], image_shape=image_shape, num_classes=num_classes, **head
        )
    except (ValueError, InstantiationException) as error:
        cause = error.__cause__ if isinstance(error, InstantiationException) else error
        if isinstance(cause, TypeError) and "'auxiliary_classifier'" in str(cause):
            raise UsageError(
                f"{net['discriminator']['_target_']} has no auxiliary_classifier option (AC-GAN's "
                f"class head): set model.auxiliary_classifier_weight=0 or choose a ganlab family"
            ) from None
        if not isinstance(cause, ValueError):
            raise
        raise UsageError(f"cannot build the networks for images {image_shape}: {cause}") from None
    return generator, discriminator
