"""Log files on disk: logs/HOST/access.log-YYYYMMDD.gz."""
import glob
import os
from collections import defaultdict
from pathlib import Path


def by_day(root):
    days = defaultdict(list)
    for path in sorted(glob.glob(os.path.join(root, "*", "access.log-*.gz"))):
        days[path.rsplit("-", 1)[1][:8]].append(path)
    return days


def log_files(root):
    return [str(path) for path in Path(root).rglob("*.gz")]


def largest_first(root):
    return sorted(log_files(root), key=os.path.getsize, reverse=True)


def paired_with_errors(folder):
    access = glob.glob(os.path.join(folder, "access*.gz"))
    errors = glob.glob(os.path.join(folder, "error*.gz"))
    return list(zip(access, errors))
