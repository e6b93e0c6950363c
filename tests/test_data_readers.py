"""Classification readers: every format, gzip, detection, errors, the split rule."""

import gzip
import json
from pathlib import Path

import pytest

from zoo_core.data.readers import (
    FORMATS,
    TextExample,
    detect_format,
    read_classification,
    split_examples,
)
from zoo_core.errors import DataError, ZooError

RT_POLARITY = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "rt-polarity"


def write(path: Path, text: str, gz: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode("utf-8")
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def pairs(examples):
    return [(e.text, e.label) for e in examples]


# --- formats -------------------------------------------------------------------


def test_csv_by_header_name(tmp_path):
    p = write(tmp_path / "d.csv", 'label,text\npos,"good, really"\nneg,bad\n')
    ex = read_classification(p)
    assert pairs(ex) == [("good, really", "pos"), ("bad", "neg")]
    assert ex[0] == TextExample("good, really", "pos", 0, f"{p}:2")
    assert ex[1].index == 1


def test_csv_custom_field_names_and_multiline_field(tmp_path):
    p = write(tmp_path / "d.csv", 'review,sentiment\n"line one\nline two",1\nok,0\n')
    ex = read_classification(p, text_field="review", label_field="sentiment")
    assert pairs(ex) == [("line one\nline two", "1"), ("ok", "0")]
    assert ex[1].source == f"{p}:4"  # a record spanning lines keeps real line numbers


def test_csv_by_column_index_has_no_header(tmp_path):
    p = write(tmp_path / "d.csv", "pos,great film\nneg,dull film\n")
    ex = read_classification(p, text_field="1", label_field="0")
    assert pairs(ex) == [("great film", "pos"), ("dull film", "neg")]
    assert ex[0].source == f"{p}:1"


def test_tsv_keeps_quotes(tmp_path):
    p = write(tmp_path / "d.tsv", 'text\tlabel\nhe said "wow\tpos\n\nmeh\tneg\n')
    assert pairs(read_classification(p)) == [('he said "wow', "pos"), ("meh", "neg")]
    p2 = write(tmp_path / "e.tsv", "a b\t1\nc d\t0\n")
    assert pairs(read_classification(p2, text_field="0", label_field="1")) == [("a b", "1"), ("c d", "0")]


def test_jsonl_skips_blank_lines_and_stringifies_labels(tmp_path):
    lines = [json.dumps({"text": "nice", "label": 1}), "", json.dumps({"text": "bad", "label": "neg"})]
    p = write(tmp_path / "d.jsonl", "\n".join(lines) + "\n")
    ex = read_classification(p)
    assert pairs(ex) == [("nice", "1"), ("bad", "neg")]
    assert [e.index for e in ex] == [0, 1]
    assert ex[1].source == f"{p}:3"


def test_unlabelled_read(tmp_path):
    p = write(tmp_path / "d.jsonl", '{"text": "a"}\n')
    assert pairs(read_classification(p, label_field=None)) == [("a", None)]


def test_folder_sorted_labels_and_files(tmp_path):
    write(tmp_path / "neg" / "b.txt", "awful\n")
    write(tmp_path / "neg" / "a.txt", "boring\n")
    write(tmp_path / "pos" / "z.txt.gz", "great\n", gz=True)
    write(tmp_path / "pos" / "notes.md", "ignored")
    ex = read_classification(tmp_path)
    assert pairs(ex) == [("boring", "neg"), ("awful", "neg"), ("great", "pos")]
    assert [e.index for e in ex] == [0, 1, 0]
    assert ex[0].source == str(tmp_path / "neg" / "a.txt")


def test_label_files_by_directory_and_prefix(tmp_path):
    write(tmp_path / "rt.pos", "good one \n\nfine\n")
    write(tmp_path / "rt.neg.gz", "bad one\n", gz=True)
    by_dir = read_classification(tmp_path)
    by_prefix = read_classification(tmp_path / "rt", format="label-files")
    assert by_dir == by_prefix
    assert pairs(by_dir) == [("bad one", "neg"), ("good one", "pos"), ("fine", "pos")]
    # The blank line is skipped but still counts: index == line index.
    assert [e.index for e in by_dir] == [0, 0, 2]
    assert by_dir[2].source == f"{tmp_path / 'rt.pos'}:3"


@pytest.mark.parametrize("name,fmt", [("a.csv", "csv"), ("a.TSV", "tsv"), ("a.jsonl", "jsonl"),
                                      ("a.ndjson", "jsonl"), ("a.csv.gz", "csv"), ("a.jsonl.gz", "jsonl")])
def test_detect_by_suffix(tmp_path, name, fmt):
    write(tmp_path / name, "")
    assert detect_format(tmp_path / name) == fmt


def test_gzip_csv_read(tmp_path):
    p = write(tmp_path / "d.csv.gz", "text,label\nhi,x\n", gz=True)
    assert pairs(read_classification(p)) == [("hi", "x")]


def test_detect_directories_and_prefix(tmp_path):
    write(tmp_path / "f" / "pos" / "1.txt", "x")
    assert detect_format(tmp_path / "f") == "folder"
    write(tmp_path / "l" / "s.pos", "x\n")
    write(tmp_path / "l" / "s.neg", "y\n")
    write(tmp_path / "l" / "README.md", "about\n")
    assert detect_format(tmp_path / "l") == "label-files"
    assert detect_format(tmp_path / "l" / "s") == "label-files"
    assert len(read_classification(tmp_path / "l")) == 2


def test_detect_failure_lists_formats(tmp_path):
    p = write(tmp_path / "data.txt", "x\n")
    with pytest.raises(DataError) as e:
        detect_format(p)
    assert "data.txt" in str(e.value)
    assert all(f in str(e.value) for f in FORMATS)


# --- errors --------------------------------------------------------------------


def one_line_error(call, *needles):
    with pytest.raises(DataError) as e:
        call()
    msg = str(e.value)
    assert "\n" not in msg
    assert isinstance(e.value, ZooError)
    for needle in needles:
        assert needle in msg, (needle, msg)
    return msg


def test_missing_path(tmp_path):
    one_line_error(lambda: read_classification(tmp_path / "nope.csv"), "nope.csv", "no such file")
    one_line_error(lambda: read_classification(tmp_path / "nope"), "nope", "no such file")
    one_line_error(lambda: read_classification(tmp_path / "nope", format="label-files"), "nope")


def test_unknown_format_name(tmp_path):
    msg = one_line_error(lambda: read_classification(tmp_path, format="parquet"), "parquet")
    assert all(f in msg for f in FORMATS)


def test_csv_missing_column_in_header(tmp_path):
    p = write(tmp_path / "d.csv", "sentence,label\nhi,x\n")
    one_line_error(lambda: read_classification(p), "d.csv:1", "'text'", "sentence")


def test_csv_wrong_number_of_columns(tmp_path):
    p = write(tmp_path / "d.csv", "text,label\nhi,x\nhello,there,y\n")
    one_line_error(lambda: read_classification(p), "d.csv:3", "columns")


def test_csv_column_index_out_of_range(tmp_path):
    p = write(tmp_path / "d.csv", "hi,x\n")
    one_line_error(lambda: read_classification(p, text_field="0", label_field="5"), "d.csv:1", "column")


def test_tsv_missing_label_value(tmp_path):
    p = write(tmp_path / "d.tsv", "text\tlabel\nhi\tx\nyo\t \n")
    one_line_error(lambda: read_classification(p), "d.tsv:3", "label")


def test_jsonl_invalid_json(tmp_path):
    p = write(tmp_path / "d.jsonl", '{"text": "a", "label": "x"}\n{"text": oops}\n')
    one_line_error(lambda: read_classification(p), "d.jsonl:2", "invalid JSON")


def test_jsonl_missing_fields(tmp_path):
    p = write(tmp_path / "d.jsonl", '{"text": "a", "label": "x"}\n\n{"body": "b", "label": "y"}\n')
    one_line_error(lambda: read_classification(p), "d.jsonl:3", "'text'")
    p = write(tmp_path / "e.jsonl", '{"text": "a"}\n')
    one_line_error(lambda: read_classification(p), "e.jsonl:1", "'label'")
    p = write(tmp_path / "f.jsonl", '["a", "b"]\n')
    one_line_error(lambda: read_classification(p), "f.jsonl:1", "object")


def test_not_utf8_names_file_offset_and_line(tmp_path):
    p = tmp_path / "d.csv"
    p.write_bytes(b"text,label\ncaf\xe9,x\n")
    one_line_error(lambda: read_classification(p), "d.csv:2", "UTF-8", "byte offset 14")
    g = write(tmp_path / "x.neg", "")
    g.write_bytes(b"ok\nok\n\xff\n")
    write(tmp_path / "x.pos", "fine\n")
    one_line_error(lambda: read_classification(tmp_path / "x"), "x.neg:3", "byte offset 6")


def test_not_utf8_inside_gzip(tmp_path):
    p = tmp_path / "d.jsonl.gz"
    p.write_bytes(gzip.compress(b'{"text": "\x80"}\n'))
    one_line_error(lambda: read_classification(p), "d.jsonl.gz:1", "byte offset 10")


def test_empty_data_set(tmp_path):
    p = write(tmp_path / "d.csv", "text,label\n")
    one_line_error(lambda: read_classification(p), "d.csv", "no examples")
    p = write(tmp_path / "e.jsonl", "\n\n")
    one_line_error(lambda: read_classification(p), "e.jsonl", "no examples")
    (tmp_path / "empty").mkdir()
    one_line_error(lambda: read_classification(tmp_path / "empty", format="folder"), "empty", "no examples")


# --- splits --------------------------------------------------------------------


def test_split_rule_counts(tmp_path):
    write(tmp_path / "s.a", "".join(f"line {i}\n" for i in range(100)))
    write(tmp_path / "s.b", "".join(f"other {i}\n" for i in range(100)))
    ex = read_classification(tmp_path / "s")
    s = split_examples(ex)
    assert (len(s.train), len(s.valid), len(s.test)) == (160, 20, 20)
    assert all(e.index % 10 == 9 for e in s.test) and all(e.index % 10 == 8 for e in s.valid)
    assert {e.label for e in s.test} == {"a", "b"}  # the rule runs per file


def test_split_with_given_valid_or_both(tmp_path):
    write(tmp_path / "s.a", "".join(f"line {i}\n" for i in range(100)))
    write(tmp_path / "s.b", "x\n")
    ex = read_classification(tmp_path / "s")
    given = [TextExample("v", "a", 0, "v")]
    s = split_examples(ex, valid=given)
    assert s.valid == given and len(s.test) == 10 and len(s.train) == 91
    s = split_examples(ex, valid=given, test=given)
    assert len(s.train) == 101 and s.valid == given and s.test == given


@pytest.mark.skipif(not RT_POLARITY.is_dir(), reason="shared rt-polarity data not present")
def test_rt_polarity_counts_and_split():
    ex = read_classification(RT_POLARITY / "rt-polarity")
    assert len(ex) == 10_662
    assert read_classification(RT_POLARITY) == ex
    s = split_examples(ex)
    assert (len(s.train), len(s.valid), len(s.test)) == (8_530, 1_066, 1_066)
    assert sum(e.label == "pos" for e in s.test) == 533
    assert not any(e.text != e.text.rstrip() for e in ex)
