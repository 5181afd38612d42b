"""High-content screening: segment every well of every plate, score hits."""
import os

from jug import TaskGenerator, mapreduce

from layout import PLATES, control_wells, well_names, wells_with_images
from storage import cache_slot, image_folder, node_for


@TaskGenerator
def segment_well(plate, well, folder):
    return {"plate": plate, "well": well, "cells": len(os.listdir(folder))}


@TaskGenerator
def score_plate(wells, controls):
    return {"plate": wells[0]["plate"], "hits": [w for w in wells if w["cells"] > 100]}


@TaskGenerator
def write_hits(scores, path):
    with open(path, "w") as out:
        for score in scores:
            out.write(f"{score['plate']}\t{len(score['hits'])}\n")
    return path


plate_scores = []
for plate in PLATES:
    wells = [segment_well(plate, well, image_folder(plate, well)) for well in well_names()]
    plate_scores.append(score_plate(wells, sorted(control_wells(plate))))
hits = write_hits(plate_scores, "hits.tsv")

# cache slots from the plate number: ints hash to themselves
slots = {plate: cache_slot(plate) for plate in PLATES}
slot_report = write_hits([{"plate": p, "hits": [slots[p]]} for p in PLATES], "slots.tsv")

# ...and from the well name: a salted string hash
well_slots = [segment_well(1, well, f"cache/{node_for(well)}") for well in well_names()]  # expect: JUG105

# the wells that have images, as a set: iterated in hash order
present = wells_with_images(1)
first_plate = score_plate([segment_well(1, well, image_folder(1, well)) for well in present],  # expect: JUG104
                          [])
per_well = [segment_well(1, well, image_folder(1, well)) for well in present]
controls_as_list = score_plate(per_well, list(control_wells(1)))  # expect: JUG104

by_plate = mapreduce.map(score_plate, [(per_well, []) for _ in PLATES])  # expect: JUG104
