"""A study on disk: one folder per sequencing batch."""
import os


class Study:
    def __init__(self, root):
        self.root = root

    def batches(self):
        return sorted(name for name in os.listdir(self.root) if name.startswith("batch"))

    def counts(self, batch):
        return os.path.join(self.root, batch, "counts.h5")

    def marker_genes(self):
        with open(os.path.join(self.root, "markers.txt")) as handle:
            return {line.strip() for line in handle}


class LocalStudy(Study):
    """A study on the local disk."""


class SharedStudy(Study):
    """A study on a shared file system, listed without sorting."""

    def batches(self):
        return [name for name in os.listdir(self.root) if name.startswith("batch")]
