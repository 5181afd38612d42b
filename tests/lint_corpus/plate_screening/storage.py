"""Where images and caches live."""
import os


def image_folder(plate, well):
    return os.path.join("images", f"plate{plate:03d}", well)


def cache_slot(plate):
    return hash(plate) % 16


def node_for(well):
    return hash(well) % 16
