"""Reading sequences."""


def load_sequences(path):
    sequences, name = {}, None
    with open(path) as handle:
        for line in handle:
            if line.startswith(">"):
                name = line[1:].strip()
                sequences[name] = ""
            elif name is not None:
                sequences[name] += line.strip()
    return sequences
