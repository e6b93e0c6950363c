"""RNN Zoo pooling plugin: ways to turn a sequence of recurrent states into one vector."""
