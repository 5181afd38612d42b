"""Frequency bands."""

BANDS = [(0, 500), (500, 2000), (2000, 8000), (8000, 11025)]


def band_edges(bands, rate):
    scale = rate / 22050
    return [(int(low * scale), int(high * scale)) for low, high in bands]
