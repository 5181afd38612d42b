"""Daily traffic statistics from compressed web server access logs."""
import glob
import os
from pathlib import Path

from jug import TaskGenerator

from logfiles import by_day, largest_first, log_files, paired_with_errors
from parse import HOSTS


@TaskGenerator
def parse_log(path):
    import gzip

    with gzip.open(path, "rt") as handle:
        return [line.split()[6] for line in handle if line.count(" ") > 6]


@TaskGenerator
def count_paths(parsed):
    counts = {}
    for paths in parsed:
        for path in paths:
            counts[path] = counts.get(path, 0) + 1
    return counts


@TaskGenerator
def compare(access, errors):
    return {"access": len(access), "errors": len(errors)}


# one task per file, then the counts per day (files of a day sorted)
days = by_day("logs")
daily = {day: count_paths([parse_log(path) for path in files]) for day, files in days.items()}

# the first file iglob happens to return
first = parse_log(next(glob.iglob("logs/*/access.log.gz")))  # expect: JUG103

# every log under the tree, in the order rglob walks it
everything = count_paths([parse_log(path) for path in log_files("logs")])  # expect: JUG103

# files of equal size keep the listing order
biggest = count_paths([parse_log(path) for path in largest_first("logs")[:5]])  # expect: JUG103

# pairing access and error logs by position in two listings
pairs = [compare(parse_log(a), parse_log(e)) for a, e in paired_with_errors("logs/2024-01-01")]  # expect: JUG103

# one task per host: HOSTS is a tuple, its order is fixed
per_host = [count_paths([parse_log(os.path.join("logs", host, "access.log.gz"))])
            for host in HOSTS]
local = [parse_log(str(path)) for path in Path("logs/localhost").glob("*.gz")]
