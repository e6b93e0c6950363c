"""LM corpora: universal newlines (\\r\\n and \\r read as \\n, with a note), BOM dropped, .gz in folders."""
import gzip

import zoo_core as zoo
from zoo_core.plugin import DataOptions, Vocab
from zoo_recurrent.corpus import read_corpus

TEXT = "First Citizen:\nBefore we proceed any further, hear me speak.\n" * 20


def test_crlf_is_normalised_with_a_note_and_the_split_does_not_move(tmp_path, capsys):
    unix, windows = tmp_path / "unix.txt", tmp_path / "windows.txt"
    unix.write_bytes(TEXT.encode())
    windows.write_bytes(b"\xef\xbb\xbf" + TEXT.replace("\n", "\r\n").encode())
    assert read_corpus(windows, 10**6) == [TEXT]
    assert "windows.txt: 40 \\r\\n line endings read as \\n" in capsys.readouterr().err
    model = zoo.create_model("char-lstm-lm", vocab=Vocab(["<pad>", "<unk>", "<s>", *sorted(set(TEXT))]),
                             embedding__dim=4, encoder__hidden_size=4)
    ours, theirs = (model.task.load_splits(DataOptions(path=str(p))) for p in (unix, windows))
    assert ours.train == theirs.train and ours.valid == theirs.valid


def test_gz_files_in_a_folder_are_read(tmp_path):
    (tmp_path / "a.txt").write_text("plain text")
    (tmp_path / "b.txt.gz").write_bytes(gzip.compress(b"compressed text"))
    (tmp_path / "c.bin.gz").write_bytes(gzip.compress(b"not text"))
    assert read_corpus(tmp_path, 10**6) == ["plain text", "compressed text"]
