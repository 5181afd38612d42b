"""Where the images are: class folders under ROOT/train and ROOT/val."""
import os
import random
from pathlib import Path


def class_names(root):
    """Class folder names, sorted, so that label numbers are stable."""
    return sorted(entry.name for entry in os.scandir(os.path.join(root, "train")))


def list_images(root, split):
    """Every image of a split, in a stable order."""
    return sorted(str(path) for path in Path(root, split).glob("*/*.JPEG"))


def sample_validation(root, count):
    """A reproducible sample of validation images."""
    files = list_images(root, "val")
    rng = random.Random(1234)
    return rng.sample(files, min(count, len(files)))
