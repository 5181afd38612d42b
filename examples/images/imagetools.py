"""Plain functions for the image example: synthetic images, PGM files,
features, k-means and the silhouette score (numpy only; nothing here knows about jug)."""

import numpy as np

SIZE = 32
KINDS = ("stripes", "checks", "blobs")


def synthetic_image(index):
    """A SIZE x SIZE greyscale image (uint8) of kind ``KINDS[index % 3]``:
    the same picture for every image of a kind, plus noise seeded by
    ``index`` (so the same index always gives the same image)."""
    rng = np.random.default_rng(index)
    y, x = np.mgrid[0:SIZE, 0:SIZE].astype(float)
    kind = KINDS[index % len(KINDS)]
    if kind == "stripes":
        image = np.sin(2 * np.pi * y / 8)
    elif kind == "checks":
        image = np.where((x // 4 + y // 4) % 2 == 0, 1.0, -1.0)
    else:
        image = 2 * np.exp(-((x - 16) ** 2 + (y - 16) ** 2) / (2 * 8.0 ** 2)) - 1
    image = image + rng.normal(0, 0.15, image.shape)
    return np.clip(127.5 + 100 * image, 0, 255).astype(np.uint8)


def write_pgm(path, image):
    """Write a binary (P5) PGM file."""
    height, width = image.shape
    with open(path, "wb") as output:
        output.write(f"P5\n{width} {height}\n255\n".encode("ascii"))
        output.write(np.ascontiguousarray(image, np.uint8).tobytes())


def read_pgm(path):
    """Read a binary PGM file written by :func:`write_pgm`."""
    with open(path, "rb") as handle:
        magic, width, height, maxval = handle.readline(), *handle.readline().split(), handle.readline()
        if magic.strip() != b"P5" or int(maxval) != 255:
            raise ValueError(f"{path}: not an 8-bit binary PGM file")
        data = np.frombuffer(handle.read(), np.uint8)
    return data.reshape(int(height), int(width))


def features(image, parameter):
    """Mean absolute differences across ``parameter`` pixels, along y and
    along x, and the standard deviation of the image (all in [0, 1])."""
    image = image.astype(float) / 255
    dy = np.abs(image[parameter:, :] - image[:-parameter, :]).mean()
    dx = np.abs(image[:, parameter:] - image[:, :-parameter]).mean()
    return [float(dy), float(dx), float(image.std())]


def kmeans(data, k, random_seed, iterations=50):
    """Lloyd's k-means from ``k`` points chosen with ``random_seed``:
    ``{'labels': [...], 'centroids': [[...]...], 'rss': float}``."""
    rng = np.random.default_rng(random_seed)
    centroids = data[rng.choice(len(data), k, replace=False)]
    for _ in range(iterations):
        distances = ((data[:, None, :] - centroids[None, :, :]) ** 2).sum(axis=2)
        labels = distances.argmin(axis=1)
        updated = np.array([data[labels == c].mean(axis=0) if (labels == c).any()
                            else centroids[c] for c in range(k)])
        if np.allclose(updated, centroids):
            break
        centroids = updated
    rss = float(((data - centroids[labels]) ** 2).sum())
    return {"labels": labels.tolist(), "centroids": centroids.tolist(), "rss": rss}


def silhouette(clustering, data):
    """The mean silhouette of a clustering, in [-1, 1]: near 1 when every
    point is much closer to its own cluster than to the next one."""
    labels = np.array(clustering["labels"])
    distances = np.sqrt(((data[:, None, :] - data[None, :, :]) ** 2).sum(axis=2))
    scores = []
    for i, label in enumerate(labels):
        own = labels == label
        if own.sum() == 1:
            scores.append(0.0)  # a cluster of one point says nothing
            continue
        inside = distances[i, own].sum() / (own.sum() - 1)
        outside = min(distances[i, labels == other].mean()
                      for other in set(labels.tolist()) - {label})
        scores.append((outside - inside) / max(inside, outside))
    return float(np.mean(scores))
