"""Chromosomes and the shards they are called in."""

CHROMOSOMES = [f"chr{i}" for i in range(1, 23)] + ["chrX", "chrY"]
SHARD_SIZE = 10_000_000


def shards_for(chromosome):
    """Shard numbers of a chromosome (a fixed count per chromosome)."""
    count = 25 if chromosome in ("chr1", "chr2") else 15
    return list(range(count))


def shard_of(position):
    return hash(position // SHARD_SIZE) % 64
