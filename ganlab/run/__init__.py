"""A run's life around the procedures: the CLI wrapper and exit codes, where the configs are and
the rules their values keep, the run folder guard, the run record, reading and writing
checkpoints, and process-wide settings. Nothing here imports models, nets or data."""
