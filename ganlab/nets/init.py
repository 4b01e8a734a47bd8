"""Weight initialisation schemes, by the name a network's `init` option gives.

- `default`: PyTorch's own (Kaiming-uniform(a=√5) weights, uniform biases); nothing is redrawn,
  so a network built with it is the same, draw for draw, as one built before this option.
- `dcgan`: Radford et al. (2015) and the PyTorch DCGAN tutorial: convolution, transposed
  convolution and linear weights N(0, 0.02); normalisation scales N(1, 0.02) and shifts 0.
  The tutorial's layers have no biases; where a ganlab layer keeps one, it starts at 0.
- `glorot`: Keras' defaults, as the TensorFlow tutorial and the Generative Deep Learning book
  get them: Glorot-uniform kernels (bound √(6 / (fan_in + fan_out)), the same fans for
  PyTorch's weight layouts) and zero biases, normalisation scales 1 and shifts 0, and Keras'
  Embedding default U(-0.05, 0.05) for a learned label embedding.

A label embedding keeps PyTorch's N(0, 1) under `dcgan` (the sources have none).
"""

from torch import nn

INITS = ("default", "dcgan", "glorot")

WEIGHTED = (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)
NORMALISATIONS = (nn.BatchNorm1d, nn.BatchNorm2d, nn.GroupNorm, nn.LayerNorm, nn.InstanceNorm2d)

DCGAN_STD = 0.02
KERAS_EMBEDDING_BOUND = 0.05


def check_init(scheme: str) -> str:
    """The scheme's name, or a ValueError naming the choices."""
    if scheme not in INITS:
        raise ValueError(f"init must be one of {INITS}, got {scheme!r}")
    return scheme


def initialise(network: nn.Module, scheme: str) -> None:
    """Redraw every layer of `network` in place by `scheme` (see the module docstring)."""
    if check_init(scheme) == "default":
        return
    for layer in network.modules():
        if isinstance(layer, WEIGHTED):
            if scheme == "dcgan":
                nn.init.normal_(layer.weight, 0.0, DCGAN_STD)
            else:
                nn.init.xavier_uniform_(layer.weight)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
        elif isinstance(layer, NORMALISATIONS) and layer.weight is not None:
            if scheme == "dcgan":
                nn.init.normal_(layer.weight, 1.0, DCGAN_STD)
            else:
                nn.init.ones_(layer.weight)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
        elif isinstance(layer, nn.Embedding) and scheme == "glorot":
            nn.init.uniform_(layer.weight, -KERAS_EMBEDDING_BOUND, KERAS_EMBEDDING_BOUND)
