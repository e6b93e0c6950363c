"""Data: readers and streams of text data sets, the embedded synthetic set, vocabularies; pure Python, no torch."""
