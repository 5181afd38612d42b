"""Cutting the corpus into batches."""
import random


def batches(items, size):
    return [items[start:start + size] for start in range(0, len(items), size)]


def sample_sentences(sentences, count):
    return random.Random().sample(sentences, count)
