"""A toy cipher for the decrypt example: each byte is XORed with a
repeating key of lower-case letters."""

import numpy as np

letters = np.arange(ord("a"), ord("z") + 1, dtype=np.uint8)


def encode(plaintext, key):
    data = np.frombuffer(plaintext, np.uint8)
    key = np.asarray(key, np.uint8)
    return data ^ np.resize(key, data.shape)


decode = encode


def isgood(text):
    """Plain text is printable ASCII and contains a word we know is there
    (eight letters long, so all four letters of the key must be right)."""
    return bool(((text >= 32) & (text < 127)).all()) and b"parallel" in text.tobytes()
