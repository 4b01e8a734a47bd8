"""Sweep reports: the runs of a sweep folder as a table and figures (`python -m ganlab.report`)."""
