"""The survey's tiles on disk: ROOT/BAND/tile-NNNN.fits."""
import os
from pathlib import Path


class Survey:
    def __init__(self, root):
        self.root = Path(root)
        self.bands = sorted(p.name for p in self.root.iterdir() if p.is_dir())

    def tiles(self):
        """Every tile of every band, sorted by path."""
        return sorted(str(path) for path in self.root.glob("*/tile-*.fits"))

    def band_tiles(self, band):
        found = []
        for name in os.listdir(self.root / band):
            if name.startswith("tile-"):
                found.append(str(self.root / band / name))
        return found
