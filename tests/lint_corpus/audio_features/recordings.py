"""Recordings on disk: recordings/SITE/CLIP.wav."""
import os


def sites(root):
    return sorted(entry.name for entry in os.scandir(root) if entry.is_dir())


def recordings_of(site):
    folder = os.path.join("recordings", site)
    return sorted(os.path.join(folder, name) for name in os.listdir(folder)
                  if name.endswith(".wav"))


def iter_recordings(root):
    for entry in os.scandir(root):
        if entry.is_dir():
            for clip in os.scandir(entry.path):
                if clip.name.endswith(".wav"):
                    yield clip.path


def numbered(folder):
    return [(number, entry.path) for number, entry in enumerate(os.scandir(folder))]
