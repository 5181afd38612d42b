"""Monthly temperature anomalies from a folder of NetCDF files."""
import datetime
import glob
import os

from jug import TaskGenerator

from archive import files_by_year, latest_files, newest_first
from grids import REGIONS, region_box


@TaskGenerator
def monthly_means(paths, box):
    import xarray as xr

    data = xr.open_mfdataset(paths).sel(lat=slice(box[0], box[1]), lon=slice(box[2], box[3]))
    return data["t2m"].resample(time="1M").mean().values


@TaskGenerator
def anomalies(means, baseline):
    return means - baseline.mean()


@TaskGenerator
def write_table(values, until, path):
    with open(path, "w") as out:
        out.write(f"# until {until}\n")
        for value in values:
            out.write(f"{value}\n")
    return path


years = files_by_year("era5")
baselines = {}
for region in sorted(REGIONS):
    box = region_box(region)
    baseline = monthly_means(years[1990] + years[1991], box)
    means = monthly_means(years[2020], box)
    baselines[region] = anomalies(means, baseline)

# the end of the period is the day the jugfile runs
until = datetime.date.today().isoformat()
report = write_table(baselines["europe"], until, "europe.tsv")  # expect: JUG102

# a fixed end date is fine
fixed = write_table(baselines["europe"], "2023-12-31", "europe-2023.tsv")

# the most recent files: sorted by modification time, which can tie
recent = monthly_means(latest_files("era5", 12), region_box("arctic"))  # expect: JUG103
by_age = monthly_means(newest_first("era5"), region_box("arctic"))

# the raw folder, in file-system order
raw = monthly_means(glob.glob(os.path.join("era5", "raw", "*.nc")), region_box("tropics"))  # expect: JUG103
