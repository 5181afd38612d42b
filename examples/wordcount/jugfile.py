"""The manual's map/reduce word count, wrapped in a CompoundTask.

`jug.mapreduce.mapreduce` counts the words of each input with `count1` (one
task per `map_step` inputs) and merges the counts with `merge_dicts` in a tree
of reduce tasks.  Wrapped in `CompoundTask`, the whole computation is one task
once it has run: `jug status` shows the map and reduce tasks before, a single
`jugfile.count_all` task after.

    jug status
    jug execute
    jug status
    python printresults.py
"""

import jug.mapreduce
from jug import TaskGenerator
from jug.compound import CompoundTask

inputs = [
    "banana apple apple banana",
    "apple pear football",
    "pear",
    "banana apple apple",
    "football banana",
    "apple pear",
    "waldorf salad",
]


def count1(text):
    from collections import defaultdict

    counts = defaultdict(int)
    for word in text.split():
        counts[word] += 1
    return counts


def merge_dicts(rhs, lhs):
    # A task must not modify its arguments: work on a copy.
    rhs = rhs.copy()
    for k, v in lhs.items():
        rhs[k] += v
    return rhs


def count_all(texts):
    return jug.mapreduce.mapreduce(merge_dicts, count1, texts, map_step=1)


@TaskGenerator
def write_counts(counts):
    with open("counts.txt", "w") as output:
        for word, n in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
            output.write(f"{n:3} {word}\n")


final_counts = CompoundTask(count_all, inputs)
write_counts(final_counts)
