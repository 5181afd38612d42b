"""Linking labelled nuclei between consecutive frames."""


def link_frames(segmentations):
    tracks = []
    for index, (labels, count) in enumerate(segmentations):
        for cell in range(1, count + 1):
            tracks.append([(index, cell)])
    return tracks
