"""Worked-out example 0 of the manual: find a four-letter lower-case
password by brute force, one task per first letter.

    jug execute &
    jug execute &
    jug status
    python printjugresults.py
"""

import os
from itertools import chain, product

import numpy as np

from cipher import decode, isgood, letters
from jug import TaskGenerator

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "secret.msg"), "rb") as handle:
    ciphertext = np.frombuffer(handle.read(), np.uint8)


@TaskGenerator
def decrypt(prefix, suffix_size):
    found = []
    for suffix in product(letters, repeat=suffix_size):
        key = np.concatenate([prefix, suffix]).astype(np.uint8)
        text = decode(ciphertext.tobytes(), key)
        if isgood(text):
            password = "".join(map(chr, key))
            found.append((password, text.tobytes().decode("ascii", "replace")))
    return found


@TaskGenerator
def join(partials):
    return list(chain(*partials))


fullresults = join([decrypt(np.array([letter], np.uint8), 3) for letter in letters])
