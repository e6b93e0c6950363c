"""What this plugin offers; the torch code lives in its other modules and loads only when used."""
from zoo_core.plugin import Architecture, Component, Task, hookimpl
from zoo_seq2seq.configs import AttentionDecoderConfig, BeamSamplerConfig, Seq2SeqDataConfig

BIGRU_ENCODER = {"type": "gru", "hidden_size": 256, "bidirectional": True}
COMMON = {
    "tokenizer": {"type": "word", "lowercase": True, "max_size": 30000},
    "embedding": {"dim": 128},
    "training": {"batch_size": 64, "lr": 1e-3, "epochs": 20, "patience": 3},
}


@hookimpl
def register_tasks(register):
    register(Task("seq2seq", "zoo_seq2seq.task:Seq2SeqTask",
                  "Sequence to sequence: translation of one sentence into another.", data_config=Seq2SeqDataConfig))


@hookimpl
def register_components(register):
    register(Component("head", "attention-decoder", AttentionDecoderConfig, "zoo_seq2seq.decoder:AttentionDecoder",
                       "A GRU or LSTM decoder attending over the encoder's states (additive, dot, general or none)."))
    register(Component("sampler", "beam", BeamSamplerConfig, "zoo_seq2seq.beam:BeamSampler",
                       "Beam search, batched over sentences, with length normalisation."))


@hookimpl
def register_architectures(register):
    register(Architecture(
        "gru-attn-seq2seq", task="seq2seq",
        description="Bidirectional GRU encoder, GRU decoder with additive attention (Bahdanau et al. 2015).",
        defaults={**COMMON, "encoder": BIGRU_ENCODER,
                  "head": {"type": "attention-decoder", "cell": "gru", "attention": "additive", "hidden_size": 256}},
    ))
    register(Architecture(
        "lstm-luong-seq2seq", task="seq2seq",
        description="Bidirectional LSTM encoder, LSTM decoder with general attention and input feeding (Luong et al. 2015).",
        defaults={**COMMON, "encoder": {**BIGRU_ENCODER, "type": "lstm"},
                  "head": {"type": "attention-decoder", "cell": "lstm", "attention": "general", "input_feeding": True,
                           "hidden_size": 256}},
    ))
    register(Architecture(
        "gru-seq2seq", task="seq2seq",
        description="Bidirectional GRU encoder, GRU decoder without attention (Cho et al. 2014): the baseline.",
        defaults={**COMMON, "encoder": BIGRU_ENCODER,
                  "head": {"type": "attention-decoder", "cell": "gru", "attention": "none", "hidden_size": 256}},
    ))
