"""Plate layout: 384-well plates, rows A-P, columns 1-24."""
import os

PLATES = list(range(1, 13))
ROWS = "ABCDEFGHIJKLMNOP"


def well_names():
    return [f"{row}{column:02d}" for row in ROWS for column in range(1, 25)]


def control_wells(plate):
    """Controls are the first and last columns: a set, for membership tests."""
    return {f"{row}{column:02d}" for row in ROWS for column in (1, 24)}


def wells_with_images(plate):
    folder = os.path.join("images", f"plate{plate:03d}")
    return {name.split("_")[0] for name in os.listdir(folder)}
