"""Embed a corpus of sentences in batches and cluster the embeddings."""
import logging
import random

import torch
from jug import TaskGenerator

from batching import batches, sample_sentences
from encoder import MODEL_NAME, load_sentences

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")  # expect: JUG204
torch.set_num_threads(4)  # expect: JUG204
log = logging.getLogger("embeddings")


@TaskGenerator
def embed(batch, model_name):
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(1)   # inside the task: replayed by running the task
    return SentenceTransformer(model_name).encode(batch)


@TaskGenerator
def cluster(embeddings, k, seed):
    from sklearn.cluster import KMeans

    stacked = torch.cat([torch.as_tensor(e) for e in embeddings]).numpy()
    return KMeans(n_clusters=k, random_state=seed, n_init=10).fit_predict(stacked)


sentences = load_sentences("corpus/sentences.txt")
log.info("%d sentences", len(sentences))
embeddings = [embed(batch, MODEL_NAME) for batch in batches(sentences, 256)]
clusters = cluster(embeddings, 20, seed=0)

# a quick look at a random sample, seeded: reproducible
random.seed(99)
preview = [embed(batch, MODEL_NAME) for batch in batches(random.sample(sentences, 512), 256)]

# a sample drawn with an unseeded generator of the helper module
probe = embed(sample_sentences(sentences, 64), MODEL_NAME)  # expect: JUG101
