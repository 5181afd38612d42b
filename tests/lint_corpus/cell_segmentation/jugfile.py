"""Segment nuclei in time-lapse movies and track them across frames."""
from jug import CompoundTaskGenerator, Task, TaskGenerator, mapreduce

import plotting
from movies import frames_of, movie_names
from tracking import link_frames


@TaskGenerator
def segment(frame_path, sigma):
    import numpy as np
    from scipy import ndimage

    image = np.load(frame_path)
    smooth = ndimage.gaussian_filter(image, sigma)
    labels, count = ndimage.label(smooth > smooth.mean())
    return labels, count


@TaskGenerator
def track(segmentations):
    return link_frames(segmentations)


@TaskGenerator
def summary_plot(tracks, path):
    plotting.lineage_plot(tracks, path)
    return path


@CompoundTaskGenerator
def process_movie(name, sigma):
    segmentations = [segment(frame, sigma) for frame in frames_of(name)]
    return track(segmentations)


@TaskGenerator
def process_movie_in_one_task(name, sigma):
    segmentations = [segment(frame, sigma) for frame in frames_of(name)]  # expect: JUG201
    return link_frames(segmentations)


movies = movie_names("movies")
tracked = {name: process_movie(name, 2.0) for name in movies}
plots = [summary_plot(tracks, f"plots/{name}.png") for name, tracks in sorted(tracked.items())]

# a quick variant with a lambda as the task function
areas = mapreduce.map(lambda seg: seg[1], [segment(f, 1.0) for f in frames_of("m01")])  # expect: JUG202
squared = Task(pow, 3, 2)
