"""Experiments: `zoo compare`, training reports, reference results and plots."""
