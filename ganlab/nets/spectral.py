"""Spectral normalisation (Miyato et al. 2018) as a network option: every convolution,
transposed convolution and linear layer divides its weight by the weight's largest singular
value, estimated by one power iteration per training forward pass.

It is torch's parametrization (`torch.nn.utils.parametrizations.spectral_norm`): the trained
parameter is `parametrizations.weight.original`, the power iteration's vectors `_u` and `_v`
are buffers, so optimizers, DDP (which broadcasts buffers from rank 0), checkpoints (plain
tensors, read with `weights_only=True`) and `torch.compile` see ordinary parameters and
buffers. A transposed convolution is normalised over its output channels (torch's `dim=1`
for it). Label embeddings are left as they are: they are a lookup, not a linear map of the
input.

Exports (`ganlab.export`, TorchScript or torch.export) trace the eval-mode parametrization as
it is: the graph divides by the singular value the stored vectors give. (Removing the
parametrization from a copy instead would be wrong: a deep copy shares the parametrized
class, and `remove_parametrizations` deletes the property from that class, the original's
too.)
"""

from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

NORMALISED = (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)


def spectrally_normalise(network: nn.Module, enabled: bool = True) -> nn.Module:
    """Put spectral normalisation on every weighted layer of `network`, in place, when
    `enabled`; call it after initialisation (the initial weights are what gets normalised)."""
    if not isinstance(enabled, bool):
        raise ValueError(f"spectral_norm must be true or false, got {enabled!r}")
    if not enabled:
        return network
    for layer in list(network.modules()):
        if isinstance(layer, NORMALISED):
            spectral_norm(layer)
    return network
