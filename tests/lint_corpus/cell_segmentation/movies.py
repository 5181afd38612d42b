"""Movies on disk: movies/NAME/frame-NNNN.npy."""
import os


def movie_names(root):
    return sorted(name for name in os.listdir(root) if not name.startswith("."))


def frames_of(name):
    folder = os.path.join("movies", name)
    return [os.path.join(folder, frame) for frame in sorted(os.listdir(folder))]
