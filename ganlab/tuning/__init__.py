"""Tuning on quality (`python -m ganlab.tune`): the search space, the study's folder and
journal, and one trial's training and evaluation."""
