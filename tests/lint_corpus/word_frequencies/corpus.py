"""Finding the books of the corpus on disk."""
import os
from collections import defaultdict


def stopwords(path):
    """The stop words, one per line: a set, since only membership matters."""
    with open(path, encoding="utf-8") as handle:
        return {line.strip() for line in handle if line.strip()}


def books_by_decade(root):
    """{decade: [paths]}, each list sorted by file name."""
    decades = defaultdict(list)
    for decade in sorted(os.listdir(root)):
        folder = os.path.join(root, decade)
        for name in sorted(os.listdir(folder)):
            if name.endswith(".txt"):
                decades[decade].append(os.path.join(folder, name))
    return dict(decades)


def walk_texts(root):
    found = []
    for directory, _, names in os.walk(root):
        for name in names:
            if name.endswith(".txt"):
                found.append(os.path.join(directory, name))
    return found
