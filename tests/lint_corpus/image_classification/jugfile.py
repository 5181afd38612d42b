"""Train a small image classifier on an ImageNet-style folder tree.

    jug execute jugfile.py -- --root imagenet-mini --epochs 3
"""
import argparse
import glob
import os

import numpy as np
from jug import CachedFunction, TaskGenerator, barrier, bvalue

from augment import augmentation_plan, jitter_colours
from datasets import class_names, list_images, sample_validation


@TaskGenerator
def load_image(path, size):
    from PIL import Image

    image = Image.open(path).convert("RGB").resize((size, size))
    return np.asarray(image, dtype=np.float32) / 255.0


@TaskGenerator
def extract_features(image, plan):
    rows = []
    for crop in plan:
        y, x, h, w = crop
        rows.append(image[y:y + h, x:x + w].mean(axis=(0, 1)))
    return np.concatenate(rows)


@TaskGenerator
def train_model(features, labels, learning_rate, epochs):
    weights = np.zeros((len(features[0]), max(labels) + 1))
    for _ in range(epochs):
        for x, y in zip(features, labels):
            weights[:, y] += learning_rate * x
    return weights


@TaskGenerator
def accuracy(weights, features, labels):
    predictions = [int(np.argmax(x @ weights)) for x in features]
    return sum(p == y for p, y in zip(predictions, labels)) / len(labels)


def parse_args():
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", default="imagenet-mini")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--size", type=int, default=64)
    return parser.parse_known_args()[0]


def label_of(path, classes):
    return classes.index(os.path.basename(os.path.dirname(path)))


def main():
    args = parse_args()
    classes = class_names(args.root)
    # the task that lists the files gets them in file-system order
    paths = CachedFunction(list, glob.glob(os.path.join(args.root, "train/*/*.JPEG")))  # expect: JUG103
    train = list_images(args.root, "train")
    images = [load_image(path, args.size) for path in train]
    plan = augmentation_plan(args.size, seed=7)
    features = [extract_features(image, plan) for image in images]
    labels = [label_of(path, classes) for path in train]
    model = train_model(features, labels, 0.01, args.epochs)

    validation = sample_validation(args.root, 50)
    val_images = [load_image(path, args.size) for path in validation]
    val_plan = augmentation_plan(args.size)
    val_features = [extract_features(image, val_plan) for image in val_images]  # expect: JUG101
    score = accuracy(model, val_features, [label_of(p, classes) for p in validation])

    colours = jitter_colours(len(classes))
    tinted = [extract_features(image, colours) for image in images]  # expect: JUG101
    barrier()
    print("validation accuracy", bvalue(score), len(paths), len(tinted))


if __name__ == "__main__":
    main()
