"""Training: the loop (fit), devices, mixed precision and data-parallel processes."""
