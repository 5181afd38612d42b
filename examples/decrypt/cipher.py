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
    """Plain text we are looking for contains a known word."""
    return b"jug" in text.tobytes()
