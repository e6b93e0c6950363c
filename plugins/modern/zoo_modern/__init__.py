"""zoo-modern: recurrences of the last few years whose training keeps the hidden-to-hidden product out
of the per-step loop (or parallelises over time), as encoders for the RNN Zoo (docs/modern.md)."""
