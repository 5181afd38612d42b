"""Figures.  Importing this module selects a non-interactive backend."""
import matplotlib

matplotlib.use("Agg")  # expect: JUG204
import matplotlib.pyplot as plt

plt.rcParams["figure.dpi"] = 150  # expect: JUG204


def lineage_plot(tracks, path):
    figure, axis = plt.subplots()
    for track in tracks:
        axis.plot([frame for frame, _ in track], [cell for _, cell in track])
    figure.savefig(path)
    plt.close(figure)
