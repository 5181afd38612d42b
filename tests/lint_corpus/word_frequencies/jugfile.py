"""Word frequencies of a corpus of plain-text books, per decade."""
import os
from collections import Counter

from jug import TaskGenerator, mapreduce
from jug.utils import cached_glob

from corpus import books_by_decade, stopwords, walk_texts
from tokens import normalise, vocabulary


@TaskGenerator
def count_words(path, stop):
    words = normalise(open(path, encoding="utf-8").read())
    return Counter(word for word in words if word not in stop)


@TaskGenerator
def merge_counts(counts):
    total = Counter()
    for count in counts:
        total.update(count)
    return total


@TaskGenerator
def top_words(total, n):
    return total.most_common(n)


@TaskGenerator
def write_report(decade, top, header):
    with open(f"reports/{decade}.txt", "w") as out:
        out.write(header + "\n")
        for word, count in top:
            out.write(f"{word}\t{count}\n")
    return decade


stop = stopwords("stopwords.txt")
decades = books_by_decade("books")
reports = []
for decade, books in sorted(decades.items()):
    counts = [count_words(book, stop) for book in books]
    total = merge_counts(counts)
    reports.append(write_report(decade, top_words(total, 100), f"decade {decade}"))

# everything at once, with mapreduce over the sorted glob
everything = mapreduce.mapreduce(merge_counts, count_words, cached_glob("books/*/*.txt"))

# the whole tree, as os.walk finds it
all_texts = walk_texts("books")
grand_total = merge_counts([count_words(path, stop) for path in all_texts])  # expect: JUG103

# a header naming the stop words
header = write_report("all", top_words(everything, 50), " ".join(stop))  # expect: JUG104
vocab = vocabulary(["books/1900/a.txt"])
sample = write_report("vocab", [], ",".join(sorted(vocab)))
manifest = write_report("files", [], "\n".join(os.listdir("books")))  # expect: JUG103
