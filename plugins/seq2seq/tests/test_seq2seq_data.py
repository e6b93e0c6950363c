"""Reading sentence pairs: aligned files, TSV columns, gzip, empty pairs, splits, length filtering."""
import gzip
from pathlib import Path

import pytest

from zoo_core.plugin import DataError, DataOptions
from zoo_core.testing import registry as get_registry
from zoo_seq2seq.data import read_pairs, split_bucket

TATOEBA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "tatoeba-eng-fra" / "fra.txt.gz"


def task(**data):
    config = get_registry().resolve("gru-attn-seq2seq", {"data": data} if data else None)
    return get_registry().task("seq2seq").load()(config)


def test_aligned_files_with_different_line_counts_name_both_counts(tmp_path):
    (tmp_path / "a.en").write_text("one\ntwo\nthree\n")
    (tmp_path / "a.fr").write_text("un\ndeux\n")
    with pytest.raises(DataError, match=r"a\.en has 3 lines but .*a\.fr has 2"):
        read_pairs(f"{tmp_path / 'a.en'},{tmp_path / 'a.fr'}")


def test_aligned_gzip_files_pair_line_by_line(tmp_path):
    with gzip.open(tmp_path / "a.en.gz", "wt") as handle:
        handle.write("one\ntwo\n")
    (tmp_path / "a.fr").write_text("un\ndeux\n")
    pairs = read_pairs(f"{tmp_path / 'a.en.gz'},{tmp_path / 'a.fr'}")
    assert [(p.source, p.target) for p in pairs] == [("one", "un"), ("two", "deux")]


def test_empty_pairs_are_skipped_and_counted(tmp_path, capsys):
    (tmp_path / "a.en").write_text("one\n\nthree\nfour\n")
    (tmp_path / "a.fr").write_text("un\ndeux\n\nquatre\n")
    pairs = read_pairs(f"{tmp_path / 'a.en'},{tmp_path / 'a.fr'}")
    assert [p.source for p in pairs] == ["one", "four"]
    assert "skipped 2 pair(s) with an empty side (first at line 2)" in capsys.readouterr().err


def test_tsv_columns_are_chosen_and_extra_columns_ignored(tmp_path):
    (tmp_path / "p.tsv").write_text("Go.\tVa !\tCC-BY 2.0 #1\nHi.\tSalut !\tCC-BY 2.0 #2\n")
    pairs = read_pairs(str(tmp_path / "p.tsv"), "1", "0")
    assert [(p.source, p.target) for p in pairs] == [("Va !", "Go."), ("Salut !", "Hi.")]
    with pytest.raises(DataError, match=r"p\.tsv:1: 3 tab-separated column\(s\), need at least 4"):
        read_pairs(str(tmp_path / "p.tsv"), "3", "0")
    with pytest.raises(DataError, match="0-based column number"):
        read_pairs(str(tmp_path / "p.tsv"), "english", "1")


def test_splits_group_by_source_sentence_and_filter_by_words(tmp_path):
    lines = [f"sentence {i % 40}\ttranslation {i}" for i in range(200)] + ["a b c d e f\tg"]
    (tmp_path / "p.tsv").write_text("\n".join(lines) + "\n")
    splits = task(max_words=5).load_splits(DataOptions(path=str(tmp_path / "p.tsv")))
    sources = [{p.source for p in part} for part in (splits.train, splits.valid, splits.test)]
    assert not (sources[0] & sources[1] or sources[0] & sources[2] or sources[1] & sources[2])
    assert sum(len(part) for part in (splits.train, splits.valid, splits.test)) == 200  # the 6-word pair dropped
    assert all(split_bucket(p.source) == 0 for p in splits.test)


@pytest.mark.skipif(not TATOEBA.exists(), reason="shared Tatoeba data not present")
def test_tatoeba_split_follows_the_data_readme():
    splits = task().load_splits(DataOptions(path=str(TATOEBA), text_field="0", label_field="1"))
    assert (len(splits.train), len(splits.valid), len(splits.test)) == (134027, 16457, 16646)
    assert splits.train[0].source == "Go." and splits.train[0].target.startswith("Va")
