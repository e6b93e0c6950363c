"""RNN Zoo plugin: bidirectional encoders and sequence labelling (POS, chunking, NER)."""
