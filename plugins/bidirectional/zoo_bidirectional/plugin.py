"""What this plugin offers; the torch code lives in sibling modules and loads only when used."""
from zoo_bidirectional.configs import BidirectionalConfig, TagDataConfig, TagHeadConfig
from zoo_core.plugin import Architecture, Component, Task, hookimpl

TAGGER_DEFAULTS = {
    # Words seen once stay out of the vocabulary: the char-CNN covers them and <unk> gets trained.
    "tokenizer": {"type": "word", "lowercase": True, "min_freq": 2, "max_size": 50000},
    "embedding": {"dim": 100, "dropout": 0.5},
    "head": {"type": "tag"},
    "data": {"word_dropout": 0.05},
    # Batches of 64: on CPU the optimizer's pass over the embeddings costs as much as the LSTM at 32.
    "training": {"batch_size": 64, "lr": 2e-3, "epochs": 40, "patience": 5},
}


@hookimpl
def register_tasks(register):
    register(Task("tag", "zoo_bidirectional.tag_task:TagTask",
                  "Sequence labelling (POS, chunking, NER) on CoNLL or CoNLL-U files.", data_config=TagDataConfig))


@hookimpl
def register_components(register):
    register(Component("encoder", "bidirectional", BidirectionalConfig, "zoo_bidirectional.wrapper:BidirectionalEncoder",
                       "Runs any unidirectional encoder left-to-right and right-to-left; concatenates both."))
    register(Component("head", "tag", TagHeadConfig, "zoo_bidirectional.tag_head:TagHead",
                       "Per-token tag logits: softmax, or a linear-chain CRF with Viterbi decoding."))


def _tagger(name: str, cell: str, label: str, crf: bool = False) -> Architecture:
    head = "a CRF over the tag sequence" if crf else "a per-token softmax"
    # The CRF presets are the NER-style ones (Lample et al. 2016): capitals mark names, so the word embedding
    # keeps case; the softmax presets (POS, chunking) lower-case words and leave case to the char-CNN.
    tokenizer = {**TAGGER_DEFAULTS["tokenizer"], "lowercase": not crf}
    return Architecture(
        name, task="tag",
        description=f"Bidirectional {label} tagger over word embeddings and a char-CNN, then {head}.",
        defaults={**TAGGER_DEFAULTS, "tokenizer": tokenizer, "encoder": {"type": cell, "hidden_size": 128, "bidirectional": True, "dropout": 0.5},
                  "head": {"type": "tag", "crf": crf}},
    )


@hookimpl
def register_architectures(register):
    register(_tagger("bilstm-tagger", "lstm", "LSTM"))
    register(_tagger("bigru-tagger", "gru", "GRU"))
    register(_tagger("bilstm-crf-tagger", "lstm", "LSTM", crf=True))
    flair = _tagger("bilstm-crf-flair-tagger", "lstm", "LSTM", crf=True)
    register(Architecture(
        flair.name, task="tag",
        description="bilstm-crf-tagger with contextual string embeddings (Akbik et al. 2018) from two saved char "
                    "LMs, fwd-lm and bwd-lm (data.reverse=true); set embedding.contextual to use others.",
        defaults={**flair.defaults, "embedding": {**TAGGER_DEFAULTS["embedding"], "contextual": ["fwd-lm", "bwd-lm"]}},
    ))
    for cell, label in (("lstm", "LSTM"), ("gru", "GRU")):
        register(Architecture(
            f"bi{cell}-classifier", task="classify",
            description=f"Bidirectional {label} text classifier: both directions' final states, then a linear layer.",
            defaults={"embedding": {"dim": 128}, "encoder": {"type": cell, "hidden_size": 256, "bidirectional": True},
                      "head": {"type": "classify", "pooling": "last"}},
        ))
