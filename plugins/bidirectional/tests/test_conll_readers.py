"""CoNLL and CoNLL-U readers, and their one-line errors."""
import pytest

from zoo_bidirectional.readers import read_tagged
from zoo_core.plugin import DataError

CONLL = """-DOCSTART- -X- -X- O

Confidence NN B-NP
in IN B-PP

He PRP B-NP
"""

CONLLU = """# sent_id = 1
# text = Don't go.
1-2\tDon't\t_\t_\t_\t_\t_\t_\t_\t_
1\tDo\tdo\tAUX\tVBP\t_\t3\taux\t_\t_
2\tn't\tnot\tPART\tRB\t_\t3\tadvmod\t_\t_
3\tgo\tgo\tVERB\tVB\t_\t0\troot\t_\t_
3.1\tgone\tgo\tVERB\tVBN\t_\t_\t_\t3:conj\t_
4\t.\t.\tPUNCT\t.\t_\t3\tpunct\t_\t_

1\tHi\thi\tINTJ\tUH\t_\t0\troot\t_\t_
"""


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_conll_columns_sentences_and_docstart(tmp_path):
    path = write(tmp_path, "train.txt", CONLL)
    sentences = read_tagged(path)
    assert [s.tokens for s in sentences] == [("Confidence", "in"), ("He",)]
    assert [s.tags for s in sentences] == [("B-NP", "B-PP"), ("B-NP",)]
    assert sentences[0].source == f"{path}:3"
    assert read_tagged(path, tag_column=1)[0].tags == ("NN", "IN")


def test_conll_line_with_wrong_number_of_columns(tmp_path):
    path = write(tmp_path, "bad.txt", "a DT B-NP\ncat NN\n")
    with pytest.raises(DataError, match=rf"{path}:2: 2 columns where line 1 has 3"):
        read_tagged(path)


def test_conll_column_that_does_not_exist(tmp_path):
    path = write(tmp_path, "train.txt", CONLL)
    with pytest.raises(DataError, match="column 5 does not exist"):
        read_tagged(path, tag_column=5)


def test_conllu_upos_xpos_multiword_tokens_and_empty_nodes(tmp_path):
    path = write(tmp_path, "ud.conllu", CONLLU)
    sentences = read_tagged(path)
    assert sentences[0].tokens == ("Do", "n't", "go", ".")
    assert sentences[0].tags == ("AUX", "PART", "VERB", "PUNCT")
    assert read_tagged(path, tag_column=4)[0].tags == ("VBP", "RB", "VB", ".")
    assert sentences[1].tokens == ("Hi",) and sentences[1].source == f"{path}:10"


@pytest.mark.parametrize("bad_id, message", [("2-1", "broken multiword token range '2-1'"),
                                              ("3-4", "broken multiword token range '3-4'"),
                                              ("x-y", "word ID 'x-y'")])
def test_conllu_broken_id_ranges(tmp_path, bad_id, message):
    path = write(tmp_path, "ud.conllu", CONLLU.replace("1-2\tDon't", f"{bad_id}\tDon't"))
    with pytest.raises(DataError, match=rf"{path}:3: {message}"):
        read_tagged(path)


def test_conllu_ids_out_of_order_and_range_past_the_sentence_end(tmp_path):
    path = write(tmp_path, "ud.conllu", CONLLU.replace("4\t.\t.", "5\t.\t."))
    with pytest.raises(DataError, match=rf"{path}:8: word ID '5' where 4 was expected"):
        read_tagged(path)
    path = write(tmp_path, "ud2.conllu", "1-2\tab\t_\t_\t_\t_\t_\t_\t_\t_\n1\ta\ta\tX\tX\t_\t0\troot\t_\t_\n\n")
    with pytest.raises(DataError, match="ends inside multiword token range"):
        read_tagged(path)


def test_conllu_line_with_wrong_field_count(tmp_path):
    path = write(tmp_path, "ud.conllu", "1\tHi\thi\tINTJ\n")
    with pytest.raises(DataError, match=rf"{path}:1: 4 tab-separated fields; CoNLL-U lines have 10"):
        read_tagged(path)
