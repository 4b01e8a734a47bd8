"""ganlab: train, compare and understand GANs with PyTorch Lightning and Hydra."""

__version__ = "0.1.0"
