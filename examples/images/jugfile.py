"""The tutorial's image clustering, on images this example makes itself.

For every image, compute some features; cluster the features with k-means
for several k, ten random starts each (the seeds are explicit); pick the
clustering with the best score (the silhouette: higher is better).  The images are small synthetic greyscale pictures of
three kinds (stripes, checks, smooth blobs), written as PGM files by the
first tasks, so the example needs nothing but numpy.

    jug execute &
    jug execute &
    jug status
    python printresults.py

Set IMAGES_SLEEP=0 to skip the pause that makes each feature task visible.
"""

import os
from time import sleep

import numpy as np

from jug import TaskGenerator

import imagetools

PAUSE = float(os.environ.get("IMAGES_SLEEP", "0.5"))
NR_IMAGES = 24
REPEATS = 10
KS = range(2, 7)


@TaskGenerator
def make_image(index):
    """Write image number ``index`` to images/ and return its file name."""
    os.makedirs("images", exist_ok=True)
    path = os.path.join("images", f"img{index:02}.pgm")
    imagetools.write_pgm(path, imagetools.synthetic_image(index))
    return path


@TaskGenerator
def computefeatures(path, parameter):
    sleep(PAUSE)  # a real feature computation takes a while
    return imagetools.features(imagetools.read_pgm(path), parameter)


@TaskGenerator
def kmeans(features, k, random_seed):
    return imagetools.kmeans(np.array(features), k, random_seed)


@TaskGenerator
def compute_score(clustering, features):
    return imagetools.silhouette(clustering, np.array(features))


@TaskGenerator
def nr_clusters(scores):
    return KS[int(np.argmax(scores)) // REPEATS]


@TaskGenerator
def write_output(k, clusterings, scores, imgs):
    best = clusterings[int(np.argmax(scores))]
    with open("output.txt", "w") as output:
        output.write(f"Best number of clusters: {k}\n")
        for cluster in range(k):
            members = [os.path.basename(p) for p, c in zip(imgs, best["labels"]) if c == cluster]
            output.write(f"cluster {cluster}: {' '.join(members)}\n")


imgs = [make_image(i) for i in range(NR_IMAGES)]
features = [computefeatures(img, parameter=2) for img in imgs]
clusters = []
scores = []
for k in KS:
    for repeat in range(REPEATS):
        clusters.append(kmeans(features, k=k, random_seed=repeat))
        scores.append(compute_score(clusters[-1], features))
best_k = nr_clusters(scores)
write_output(best_k, clusters, scores, imgs)
