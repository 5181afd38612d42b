"""Call variants per sample and chromosome, then merge per cohort."""
import os
import sys

import pandas as pd
from jug import TaskGenerator, mapreduce
from jug.utils import identity

import samples as sample_sheet
from regions import CHROMOSOMES, shard_of, shards_for

REFERENCE = "ref/GRCh38.fa"


@TaskGenerator
def align(sample, fastq_paths, reference):
    return {"sample": sample, "bam": f"bam/{sample}.bam", "inputs": fastq_paths}


@TaskGenerator
def call_variants(alignment, chromosome, shard):
    return {"sample": alignment["sample"], "chromosome": chromosome, "shard": shard}


@TaskGenerator
def merge_cohort(calls, cohort):
    return {"cohort": cohort, "n": len(calls)}


@TaskGenerator
def summarise(sheet):
    return sheet.groupby("cohort").size().to_dict()


cohort_name = sys.argv[1] if len(sys.argv) > 1 else "all"
sheet = pd.read_csv("samples.tsv", sep="\t")
overview = summarise(sheet)  # expect: JUG203

alignments = {}
for sample in sample_sheet.sample_ids(sheet):
    fastqs = sample_sheet.fastq_files(sample)
    alignments[sample] = align(sample, fastqs, REFERENCE)

# per-sample calls: one task per (sample, chromosome, shard)
calls = []
for sample, alignment in sorted(alignments.items()):
    for chromosome in CHROMOSOMES:
        for shard in shards_for(chromosome):
            calls.append(call_variants(alignment, chromosome, shard))

cohort = merge_cohort(calls, cohort_name)

# the lanes of one sample, as found on disk
lanes = sample_sheet.raw_lanes("S001")
first_lane = align("S001-first", lanes[0], REFERENCE)  # expect: JUG103

# sharding by the hash of a sample name is salted per process
by_shard = {}
for sample in sample_sheet.sample_ids(sheet):
    by_shard.setdefault(hash(sample) % 4, []).append(sample)
shard_groups = [identity(group) for key, group in sorted(by_shard.items())]  # expect: JUG105
# sharding by chromosome position is fine: ints hash to themselves
position_groups = identity([shard_of(position) for position in range(0, 10_000_000, 1_000_000)])

contigs = set(CHROMOSOMES) | {"chrM"}
contig_table = identity(contigs)
contig_order = mapreduce.map(identity, contigs)  # expect: JUG104
