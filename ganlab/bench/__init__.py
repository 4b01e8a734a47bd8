"""The benchmark: ganlab's training step against the loops a researcher writes by hand
(`python -m ganlab.bench`, `make bench`; results in BENCHMARKS.md)."""
