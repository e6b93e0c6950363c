"""Reading text data sets from disk; pure Python, no torch."""
