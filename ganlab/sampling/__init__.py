"""Latent vectors and labels, rendering a generator, class grids, interpolation and the files
samples go in. Works on any trained module; imports no procedure."""
