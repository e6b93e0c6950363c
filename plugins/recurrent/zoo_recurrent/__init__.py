"""RNN Zoo plugin: vanilla RNN, LSTM and GRU encoders."""
