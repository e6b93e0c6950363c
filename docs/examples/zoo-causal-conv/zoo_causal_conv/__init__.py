"""RNN Zoo plugin: the causal-conv encoder."""
