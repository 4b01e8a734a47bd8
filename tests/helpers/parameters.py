"""Parameter counts the way the sources print them (Keras' model summary, PyTorch's sum)."""

from torch import nn


def keras_counts(network: nn.Module) -> tuple[int, int]:
    """(total, non-trainable) as Keras' model summary counts them: Keras' non-trainable
    parameters are the batch-norm moving means and variances, buffers in PyTorch (PyTorch's
    extra num_batches_tracked counters have no Keras counterpart and are not counted)."""
    trainable = sum(p.numel() for p in network.parameters() if p.requires_grad)
    moving = sum(
        b.numel()
        for name, b in network.named_buffers()
        if name.endswith(("running_mean", "running_var"))
    )
    return trainable + moving, moving


def torch_count(network: nn.Module) -> int:
    """sum(p.numel() for p in network.parameters()), as PyTorch code counts a network."""
    return sum(p.numel() for p in network.parameters())
