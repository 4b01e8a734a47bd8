"""LightningDataModules yielding (images in [-1, 1], labels) batches."""
