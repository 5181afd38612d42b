"""The sample sheet and the files of each sample."""
import glob
import os


def sample_ids(sheet):
    """Sample identifiers in sheet order (the sheet is a file: stable)."""
    return [str(sample) for sample in sheet["sample"]]


def fastq_files(sample):
    """Both reads of every lane of a sample, sorted."""
    return sorted(glob.glob(os.path.join("fastq", sample, "*_R[12].fastq.gz")))


def raw_lanes(sample):
    lanes = []
    for entry in os.listdir(os.path.join("fastq", sample)):
        if entry.startswith("L00"):
            lanes.append(os.path.join("fastq", sample, entry))
    return lanes
