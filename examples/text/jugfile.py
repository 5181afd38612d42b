"""Worked-out example 1 of the manual, on local files: characterise each
document by the words that are frequent in it but rare elsewhere.

    jug execute &
    jug execute &
    jug status
    python printresults.py

Set TEXT_SLEEP=0 to skip the pauses that make the parallelism visible.
"""

import os
import re
from collections import defaultdict
from time import sleep

from jug import Task

PAUSE = float(os.environ.get("TEXT_SLEEP", "1"))
HERE = os.path.dirname(os.path.abspath(__file__))


def get_data(title):
    sleep(PAUSE)
    with open(os.path.join(HERE, "documents", title + ".txt"), encoding="utf-8") as handle:
        return handle.read()


def isstopword(titlewords, word):
    return not re.match(r"^\w+$", word) or word in titlewords


def count_words(title, document):
    """A word count of one document, leaving out the words of its title."""
    sleep(PAUSE)
    titlewords = [w.lower() for w in title.split("_")]
    counts = defaultdict(int)
    for word in document.split():
        word = word.lower().strip(".,;:!?\"'()")
        if not isstopword(titlewords, word):
            counts[word] += 1
    return dict(counts)


def add_counts(counts):
    """All the word counts together."""
    sleep(PAUSE)
    total = defaultdict(int)
    for count in counts:
        for word, n in count.items():
            total[word] += n
    return dict(total)


def divergence(global_counts, nr_documents, counts):
    """The words of one document that are frequent there but not elsewhere."""
    sleep(PAUSE)
    specific = [w for w, n in counts.items() if n * nr_documents > global_counts[w]]
    specific.sort(key=lambda w: (-counts[w], w))
    return specific


titles = sorted(name[:-4] for name in os.listdir(os.path.join(HERE, "documents"))
                if name.endswith(".txt"))
counts = []
for title in titles:
    document = Task(get_data, title)
    counts.append(Task(count_words, title, document))
global_counts = Task(add_counts, counts)
results = [Task(divergence, global_counts, len(counts), c) for c in counts]
