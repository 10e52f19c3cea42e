"""生物识别特征 (biometric features and templates: face, fingerprint, voiceprint, iris, gait).

What a system stores of a face or a finger is rarely the picture: it is a *feature vector*
(a face embedding of 128–512 floats, a speaker x-vector of 192–512) or a *template* (ISO/IEC
19794-2 fingerprint minutiae opening ``FMR\\0``, 19794-5 face ``FAC\\0``, 19794-6 iris
``IIR\\0``, ANSI 378). Recognised:

* Arrow ``list<float>`` / ``fixed_size_list<float>`` columns whose vectors all have one length
  (16–4096) under a header that names a biometric, a feature or an embedding;
* binary columns of ISO/ANSI templates (by their magic bytes, any header), or of blobs of one
  fixed length under such a header;
* strings of base64 or hex (64+ characters) under such a header.

Sensitive (PIPL Art 28). A header alone never labels a column: ``feature`` over product
descriptions is not a biometric.

>>> template_kinds(pa.array([b"FMR\\x00 20\\x00rest", b"\\x00\\x01"])).tolist()
['fingerprint', '']
>>> vector_lengths(pa.array([[0.1, 0.2], [0.3, 0.4], None], pa.list_(pa.float32())))
(2, 2, 2)
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from detectors.base import Detector

ENTITY = "BIOMETRIC"
CATEGORY = "biometric"

HEADER_WORDS = (
    "人脸特征", "面部特征", "人脸模板", "指纹", "声纹", "虹膜", "掌纹", "指静脉", "步态", "特征值", "特征向量", "特征码",
    "生物特征", "生物识别", "人脸", "face", "facial", "fingerprint", "voiceprint", "iris", "palmprint", "gait", "feature",
    "embedding", "template", "biometric", "xvector", "dvector", "speakervector", "zhiwen", "shengwen", "hongmo", "tezheng",
)
HEADER_NEGATIVE = ("interface", "surface", "facet", "facebook", "typeface", "featureflag", "featured", "featuretoggle")
MIN_DIM, MAX_DIM = 16, 4096

TEMPLATE_MAGIC = {b"FMR\x00": "fingerprint", b"FAC\x00": "face", b"IIR\x00": "iris", b"FIR\x00": "finger image"}


def template_kinds(values: pa.Array) -> np.ndarray:
    """The ISO/ANSI template kind of each binary value ('' when none)."""
    from detectors.media import head_bytes

    heads, _ = head_bytes(values, 4)
    kinds = np.full(len(heads), "", dtype=object)
    for magic, name in TEMPLATE_MAGIC.items():
        kinds[np.all(heads == np.frombuffer(magic, dtype=np.uint8), axis=1)] = name
    return kinds.astype(str)


def vector_lengths(values: pa.Array) -> tuple[int, int, int]:
    """(non-null vectors, shortest, longest) of a list column."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    lengths = pc.list_value_length(values).drop_null()
    if len(lengths) == 0:
        return 0, 0, 0
    return len(lengths), int(pc.min(lengths).as_py()), int(pc.max(lengths).as_py())


def is_float_vector_type(t: pa.DataType) -> bool:
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t) or pa.types.is_list_view(t):
        v = t.value_type
        return pa.types.is_floating(v) or pa.types.is_int8(v) or pa.types.is_uint8(v)
    return False


def describe_vectors(values: pa.Array, dim: int) -> str:
    """``128-d float32 vector, L2 norm 1.00`` (no value is ever shown)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    flat = pc.list_flatten(values.drop_null()[:50]).to_numpy(zero_copy_only=False).astype(np.float64)
    norm = ""
    if dim and len(flat) >= dim:
        rows = flat[: (len(flat) // dim) * dim].reshape(-1, dim)
        norm = f", L2 norm {np.median(np.linalg.norm(rows, axis=1)):.2f}"
    return f"{dim}-d {values.type.value_type} vector{norm}"


def mask(value: str) -> str:
    return f"{len(value)} characters of encoded template"


DETECTOR = Detector(
    entity=ENTITY,
    sensitive=True,
    category=CATEGORY,
    description="生物识别特征 — face/fingerprint/voiceprint/iris feature vectors (list<float>) and templates (binary, base64)",
    pattern=None,
    mask=mask,
    header_words=HEADER_WORDS,
    header_negative=HEADER_NEGATIVE,
    # under a biometric header, an encoded template: base64 or hex of 64+ characters
    header_pattern=r"[A-Za-z0-9+/]{64,}={0,2}|[0-9a-fA-F]{64,}",
    priority=24,
    in_free_text=False,
)
