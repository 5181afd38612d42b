"""Regions as latitude/longitude boxes."""

REGIONS = {"europe": (35, 72, -25, 45), "arctic": (66, 90, -180, 180),
           "tropics": (-23, 23, -180, 180)}


def region_box(name):
    return REGIONS[name]
