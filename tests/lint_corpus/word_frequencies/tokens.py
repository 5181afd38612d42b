"""Tokenising text."""
import re

WORD = re.compile(r"[a-z']+")


def normalise(text):
    return WORD.findall(text.lower())


def vocabulary(paths):
    words = set()
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            words.update(normalise(handle.read()))
    return words
