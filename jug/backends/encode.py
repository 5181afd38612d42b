"""The original jug's ``jug.backends.encode``: its serialisation of results
(a zlib stream of ``P`` + pickle, ``N`` + ``.npy``, or nothing for None).
Decoding is :mod:`jug.compat.jug2_store`'s; this jug's stores use their
own format (jug.store.base) and never call these."""

import io
import pickle
import zlib

from jug.compat.jug2_store import decode_bytes, decode_stream

__all__ = ["encode", "decode", "encode_to", "decode_from"]


def encode_to(object, stream):
    """Write ``object`` to ``stream`` in the original's encoding."""
    if object is None:
        return
    numpy = __import__("sys").modules.get("numpy")
    if numpy is not None and type(object) is numpy.ndarray and not object.dtype.hasobject:
        payload = io.BytesIO()
        numpy.save(payload, object)
        data = b"N" + payload.getvalue()
    else:
        data = b"P" + pickle.dumps(object, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(zlib.compress(data))


def encode(object):
    """``object`` in the original's encoding, as bytes."""
    output = io.BytesIO()
    encode_to(object, output)
    return output.getvalue()


def decode(s):
    return decode_bytes(s, "the encoded bytes")


def decode_from(stream):
    return decode_stream(stream, "the stream")
