"""Source extraction and cross-matching over the tiles of a sky survey."""
import socket

from jug import TaskGenerator, barrier, bvalue

from config import RunConfig, default_config
from tiles import Survey


@TaskGenerator
def extract_sources(tile_path, threshold):
    from astropy.io import fits

    with fits.open(tile_path) as hdul:
        data = hdul[0].data
    return [(int(y), int(x)) for y, x in zip(*((data > threshold).nonzero()))]


@TaskGenerator
def cross_match(catalogues, radius):
    return sum(len(c) for c in catalogues), radius


@TaskGenerator
def publish(result, destination):
    return destination, result


survey = Survey("survey/dr3")
config = default_config()

per_tile = [extract_sources(tile, config.threshold) for tile in survey.tiles()]
matched = cross_match(per_tile, config.radius)

# tiles in the order the file system lists the band folders
band_catalogues = [extract_sources(tile, 5.0) for tile in survey.band_tiles("r")]
band_match = cross_match(band_catalogues, 1.0)  # expect: JUG103

# a configuration stamped with the time it was created
stamped = RunConfig.now(threshold=4.0)
stamped_sources = extract_sources(survey.tiles()[0], stamped.threshold)
stamped_match = cross_match([stamped_sources], stamped)  # expect: JUG102 JUG203

# results published to a folder named after the machine
destination = f"/shared/results/{socket.gethostname()}"
published = publish(matched, destination)  # expect: JUG105
barrier()
print(bvalue(matched))
