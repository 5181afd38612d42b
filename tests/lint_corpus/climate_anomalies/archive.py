"""The ERA5 archive on disk: one file per month, era5/YYYY/MM.nc."""
import os
from pathlib import Path


def files_by_year(root):
    years = {}
    for folder in sorted(Path(root).iterdir()):
        if folder.name.isdigit():
            years[int(folder.name)] = sorted(str(path) for path in folder.glob("*.nc"))
    return years


def latest_files(root, count):
    """The ``count`` most recently modified files."""
    files = [str(path) for path in Path(root).rglob("*.nc")]
    files.sort(key=os.path.getmtime, reverse=True)
    return files[:count]


def newest_first(root):
    """Every file, newest first; ties broken by the path."""
    files = [str(path) for path in Path(root).rglob("*.nc")]
    return sorted(files, key=lambda path: (-os.path.getmtime(path), path))
