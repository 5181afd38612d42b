"""Spectral features of a collection of field recordings, per site."""
import os

from jug import TaskGenerator
from jug.utils import cached_glob

from recordings import iter_recordings, numbered, recordings_of, sites
from spectra import BANDS, band_edges


@TaskGenerator
def features(path, bands):
    import numpy as np
    import soundfile

    signal, rate = soundfile.read(path)
    spectrum = np.abs(np.fft.rfft(signal))
    return [float(spectrum[low:high].mean()) for low, high in bands]


@TaskGenerator
def site_summary(site, per_recording, index):
    return {"site": site, "n": len(per_recording), "index": index}


@TaskGenerator
def label_clip(clip_number, path):
    return clip_number, path


bands = band_edges(BANDS, 22050)
summaries = []
for index, site in enumerate(sites("recordings")):
    clips = [features(path, bands) for path in recordings_of(site)]
    summaries.append(site_summary(site, clips, index))

# every recording, found by the generator in os.scandir order
all_clips = [features(path, bands) for path in iter_recordings("recordings")]
everything = site_summary("all", all_clips, -1)  # expect: JUG103

# clip numbers handed out in scandir order
labelled = [label_clip(number, path) for number, path in numbered("recordings/site-01")]  # expect: JUG103

# the sorted glob of jug.utils is fine
globbed = site_summary("glob", [features(p, bands) for p in cached_glob("recordings/*/*.wav")], -2)

# entries of one site, by their name
with os.scandir("recordings/site-02") as entries:
    names = sorted(entry.name for entry in entries if entry.name.endswith(".wav"))
site_two = site_summary("site-02", [features(os.path.join("recordings/site-02", n), bands)
                                    for n in names], 2)
