"""A run's life around the procedures; nothing here imports models, nets or data."""
