"""The encoder and the input file."""

MODEL_NAME = "all-MiniLM-L6-v2"


def load_sentences(path):
    with open(path, encoding="utf-8") as handle:
        return [line.strip() for line in handle if line.strip()]
