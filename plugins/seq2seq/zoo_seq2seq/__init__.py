"""RNN Zoo plugin: the `seq2seq` task, attention decoders, beam search and BLEU."""
