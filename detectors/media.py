"""图像、音频、视频 (images, audio and video held in a column: bytes, paths or URLs).

A binary column is recognised by the first bytes of its values (magic numbers): JPEG
``FF D8 FF``, PNG ``89 50 4E 47``, GIF, WebP/WAV/AVI (``RIFF`` + form type), MP3 (``ID3``),
FLAC, Ogg, AMR, MP4/MOV/M4A (``ftyp`` at offset 4), Matroska/WebM. A string column is
recognised by file extensions of paths and URLs (``oss://bucket/a/b.jpg?x=1``), ``data:`` URIs
and base64 that opens like a JPEG (``/9j/``) or PNG (``iVBORw0KGgo``).

Images are checked for faces with the LBP frontal-face cascade that ships inside
scikit-image (``skimage.feature.Cascade``; nothing is downloaded, the import is lazy and only
happens when an image column is present). A column whose checked images show faces is
``FACE_IMAGE`` (sensitive: a face is a biometric characteristic); otherwise ``IMAGE`` (not
personal by itself). Audio and video are of persons as far as a scanner can tell (a voice, a
recorded scene): sensitive, per CONTRACT.md's "yes when of persons", conservatively.

Samples never show bytes: ``JPEG 64×64, 1 face``, ``WAV 1.0 s, 16 kHz, mono``.

>>> kinds_of(pa.array([b"\\xff\\xd8\\xff\\xe0rest", b"RIFF\\x00\\x00\\x00\\x00WAVEfmt ", b"\\x00\\x00\\x00\\x18ftypisom", None])).tolist()
['jpeg', 'wav', 'mp4', '']
>>> modality_of(["FACE_IMAGE", "GENDER"]), modality_of(["AUDIO", "FREE_TEXT"]), modality_of(["FREE_TEXT"])
('image', 'audio', 'text')
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from detectors.base import Detector, strip_whitespace

CATEGORY = "media"

IMAGE_EXTENSIONS = ("jpg", "jpeg", "png", "gif", "bmp", "webp", "tif", "tiff", "heic", "heif")
AUDIO_EXTENSIONS = ("wav", "mp3", "flac", "ogg", "opus", "m4a", "aac", "amr", "pcm", "wma", "silk")
VIDEO_EXTENSIONS = ("mp4", "mov", "avi", "mkv", "webm", "flv", "ts", "m4v", "3gp", "h264", "h265")

# kind -> entity of the column
KIND_ENTITY = {
    "jpeg": "IMAGE", "png": "IMAGE", "gif": "IMAGE", "webp": "IMAGE", "bmp": "IMAGE", "tiff": "IMAGE",
    "wav": "AUDIO", "mp3": "AUDIO", "flac": "AUDIO", "ogg": "AUDIO", "amr": "AUDIO", "m4a": "AUDIO",
    "mp4": "VIDEO", "avi": "VIDEO", "mkv": "VIDEO", "flv": "VIDEO",
}
KIND_LABEL = {"jpeg": "JPEG", "png": "PNG", "gif": "GIF", "webp": "WebP", "bmp": "BMP", "tiff": "TIFF", "wav": "WAV",
              "mp3": "MP3", "flac": "FLAC", "ogg": "Ogg", "amr": "AMR", "m4a": "M4A", "mp4": "MP4", "avi": "AVI",
              "mkv": "Matroska", "flv": "FLV"}

# Faces: a column is FACE_IMAGE when at least this many checked images show one (never a
# single hit) or this share of them.
FACES_CHECKED = 32
FACE_MIN_IMAGES = 2
FACE_MIN_SHARE = 0.05


def _path_pattern(extensions: tuple[str, ...]) -> str:
    ext = "|".join(sorted(extensions, key=len, reverse=True))
    # a path or URL whose last segment ends with the extension; a query string may follow
    return rf"[^\s,;|]{{0,400}}\.(?i:{ext})(?:[?#][^\s]{{0,400}})?"


IMAGE_PATTERN = (_path_pattern(IMAGE_EXTENSIONS)
                 + r"|data:image/[a-zA-Z+.\-]{2,20};base64,[A-Za-z0-9+/=]{16,}|/9j/[A-Za-z0-9+/=]{16,}|iVBORw0KGgo[A-Za-z0-9+/=]{16,}")
AUDIO_PATTERN = _path_pattern(AUDIO_EXTENSIONS) + r"|data:audio/[a-zA-Z0-9+.\-]{2,20};base64,[A-Za-z0-9+/=]{16,}"
VIDEO_PATTERN = _path_pattern(VIDEO_EXTENSIONS) + r"|data:video/[a-zA-Z0-9+.\-]{2,20};base64,[A-Za-z0-9+/=]{16,}"

FACE_WORDS = ("人脸", "面部", "头像", "证件照", "肖像", "自拍", "face", "facial", "portrait", "selfie", "avatar", "headshot",
              "renlian", "touxiang")
_NOT_FACE = ("interface", "surface", "facet", "facebook", "typeface", "fontface")


def _trim(values: pa.Array) -> pa.Array:
    return strip_whitespace(values)


def _mask_path(value: str) -> str:
    """Keep the file type only: paths often carry names, phones or IDs.

    >>> _mask_path("oss://faces/13800138000/张三.jpg?sig=abc")
    '…/***.jpg'
    """
    if value.startswith("data:") or not ("." in value[-12:] or "?" in value):
        return f"{value.split(',')[0][:24]}…" if value.startswith("data:") else "base64 …"
    tail = value.split("?")[0].split("#")[0].rsplit(".", 1)
    return f"…/***.{tail[-1].lower()}" if len(tail) == 2 else "…"


def _media_detector(entity: str, pattern: str, description: str, sensitive: bool, personal: bool,
                    header_words: tuple[str, ...], priority: int, requires_header: bool = False,
                    header_negative: tuple[str, ...] = ()) -> Detector:
    return Detector(
        entity=entity, sensitive=sensitive, category=CATEGORY, description=description, pattern=pattern,
        normalise=_trim, mask=_mask_path, header_words=header_words, header_negative=header_negative,
        requires_header=requires_header, min_share=0.8, priority=priority, in_free_text=False, personal=personal,
        patterns_tested=True,  # four paths' patterns, ~6 ms of RE2 each: not compiled at every start
    )


FACE_IMAGE = _media_detector(
    "FACE_IMAGE", IMAGE_PATTERN,
    "人脸图像 — images showing faces (bytes checked with scikit-image's face cascade; paths under a face header)",
    sensitive=True, personal=True, header_words=FACE_WORDS, priority=22, requires_header=True,
    header_negative=_NOT_FACE)
IMAGE = _media_detector(
    "IMAGE", IMAGE_PATTERN, "图像 — images (JPEG, PNG... bytes, paths or URLs) without a face found",
    sensitive=False, personal=False,
    header_words=("图片", "图像", "照片", "影像", "image", "img", "photo", "picture", "snapshot", "tupian", "zhaopian"),
    priority=20)
AUDIO = _media_detector(
    "AUDIO", AUDIO_PATTERN, "音频 — audio (WAV, MP3, AMR... bytes, paths or URLs); voices of persons",
    sensitive=True, personal=True,
    header_words=("音频", "录音", "语音", "声音", "audio", "voice", "speech", "recording", "sound", "yinpin", "luyin"),
    priority=21, header_negative=("声纹", "voiceprint"))
VIDEO = _media_detector(
    "VIDEO", VIDEO_PATTERN, "视频 — video (MP4, AVI, MKV... bytes, paths or URLs)",
    sensitive=True, personal=True,
    header_words=("视频", "录像", "影片", "video", "clip", "movie", "footage", "shipin", "luxiang"), priority=21)

DETECTORS = (FACE_IMAGE, IMAGE, AUDIO, VIDEO)
DETECTOR = IMAGE
MEDIA_ENTITIES = frozenset(d.entity for d in DETECTORS)


# --- magic bytes --------------------------------------------------------------------------------

def head_bytes(values: pa.Array, width: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """The first ``width`` bytes of each binary value as a uint8 matrix (zero padded) and lengths."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if pa.types.is_fixed_size_binary(values.type) or pa.types.is_large_binary(values.type) \
            or pa.types.is_binary_view(values.type):
        values = values.cast(pa.binary())
    heads = pc.binary_slice(values, 0, width)
    n = len(heads)
    out = np.zeros((n, width), dtype=np.uint8)
    lengths = pc.binary_length(values).fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
    if n == 0:
        return out, lengths
    heads = heads.fill_null(b"")
    buffers = heads.buffers()
    offsets = np.frombuffer(buffers[1], dtype=np.int32, count=n + 1, offset=heads.offset * 4)
    data = np.frombuffer(buffers[2], dtype=np.uint8) if buffers[2] is not None else np.zeros(0, np.uint8)
    sizes = offsets[1:] - offsets[:-1]
    for k in range(width):  # width columns, vectorised over rows
        has = sizes > k
        out[has, k] = data[offsets[:-1][has] + k]
    return out, lengths


def _eq(heads: np.ndarray, offset: int, magic: bytes) -> np.ndarray:
    m = np.frombuffer(magic, dtype=np.uint8)
    return np.all(heads[:, offset:offset + len(m)] == m, axis=1)


def kinds_of(values: pa.Array) -> np.ndarray:
    """The media kind of each binary value ('' when none): vectorised over the first bytes."""
    heads, _ = head_bytes(values, 16)
    kind = np.full(len(heads), "", dtype=object)
    riff = _eq(heads, 0, b"RIFF")
    ftyp = _eq(heads, 4, b"ftyp")
    m4a = ftyp & (_eq(heads, 8, b"M4A ") | _eq(heads, 8, b"M4B "))
    rules = [
        ("jpeg", _eq(heads, 0, b"\xff\xd8\xff")),
        ("png", _eq(heads, 0, b"\x89PNG\r\n\x1a\n")),
        ("gif", _eq(heads, 0, b"GIF8")),
        ("webp", riff & _eq(heads, 8, b"WEBP")),
        ("tiff", _eq(heads, 0, b"II*\x00") | _eq(heads, 0, b"MM\x00*")),
        ("wav", riff & _eq(heads, 8, b"WAVE")),
        ("avi", riff & _eq(heads, 8, b"AVI ")),
        ("mp3", _eq(heads, 0, b"ID3") | (heads[:, 0] == 0xFF) & np.isin(heads[:, 1], (0xFB, 0xF3, 0xF2))),
        ("flac", _eq(heads, 0, b"fLaC")),
        ("ogg", _eq(heads, 0, b"OggS")),
        ("amr", _eq(heads, 0, b"#!AMR")),
        ("m4a", m4a),
        ("mp4", ftyp & ~m4a),
        ("mkv", _eq(heads, 0, b"\x1a\x45\xdf\xa3")),
        ("flv", _eq(heads, 0, b"FLV\x01")),
    ]
    for name, hit in rules:
        kind[(kind == "") & hit] = name
    return kind.astype(str)


# --- describing one value (samples) -------------------------------------------------------------

def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a PNG or JPEG header, without decoding the image."""
    if data.startswith(b"\x89PNG") and len(data) >= 24:
        return struct.unpack(">II", data[16:24])
    if data.startswith(b"\xff\xd8"):
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                i += 1
                continue
            marker = data[i + 1]
            if marker in (0xC0, 0xC1, 0xC2):
                h, w = struct.unpack(">HH", data[i + 5:i + 9])
                return w, h
            i += 2 + struct.unpack(">H", data[i + 2:i + 4])[0]
    return None


def wav_summary(data: bytes) -> str:
    """``WAV 1.0 s, 16 kHz, mono`` from the RIFF header."""
    try:
        channels, rate = struct.unpack("<HI", data[22:28])
        bits = struct.unpack("<H", data[34:36])[0]
        size = len(data) - 44
        seconds = size / max(1, rate * channels * max(1, bits // 8))
        return f"WAV {seconds:.1f} s, {rate / 1000:g} kHz, {'mono' if channels == 1 else f'{channels} channels'}"
    except struct.error:
        return "WAV"


def describe(data: bytes, kind: str, faces: int | None = None) -> str:
    label = KIND_LABEL.get(kind, kind.upper())
    if kind == "wav":
        return wav_summary(data)
    if KIND_ENTITY.get(kind) == "IMAGE":
        size = image_size(data)
        text = f"{label} {size[0]}×{size[1]}" if size else label
        if faces is not None:
            text += f", {faces} face{'s' if faces != 1 else ''}" if faces else ", no face"
        return text
    return f"{label} {len(data) // 1024} KB" if len(data) >= 1024 else f"{label} {len(data)} B"


# --- faces ----------------------------------------------------------------------------------------

@cache
def _cascade():
    from skimage import data as skdata
    from skimage.feature import Cascade

    return Cascade(skdata.lbp_frontal_face_cascade_filename())


def face_detector_available() -> bool:
    try:
        _cascade()
    except ImportError:
        return False
    return True


def count_faces(data: bytes, max_side: int = 256) -> int:
    """Frontal faces found in one encoded image (0 when it cannot be decoded).

    Decoded with Pillow (a dependency of scikit-image), scaled so that its longer side is at
    most ``max_side`` (a 4K frame costs what a thumbnail does), then scanned by the cascade.
    """
    import io

    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as im:
            im = im.convert("L")
            if max(im.size) > max_side:
                im.thumbnail((max_side, max_side))
            gray = np.asarray(im, dtype=np.float64) / 255.0
    except (UnidentifiedImageError, OSError, ValueError):
        return 0
    h, w = gray.shape
    if min(h, w) < 24:
        return 0
    found = _cascade().detect_multi_scale(img=gray, scale_factor=1.2, step_ratio=1, min_size=(20, 20), max_size=(h, w))
    return len(found)


def faces_in(values: pa.Array) -> np.ndarray:
    """Faces per value of a binary column of images (-1 where the value is not an image)."""
    kinds = kinds_of(values)
    out = np.full(len(values), -1, dtype=np.int64)
    is_image = np.array([KIND_ENTITY.get(k) == "IMAGE" for k in kinds], dtype=bool)
    idx = np.flatnonzero(is_image)
    if not len(idx):
        return out
    for i, data in zip(idx, values.take(pa.array(idx)).to_pylist(), strict=True):
        out[i] = count_faces(data)
    return out


# --- a binary column ----------------------------------------------------------------------------

@dataclass
class MediaFinding:
    entity: str
    share: float
    kinds: dict[str, int]
    samples: list[str]
    evidence: str


def classify_binary(values: pa.Array, max_samples: int = 3, check_faces: bool = True) -> MediaFinding | None:
    """What a binary column holds, when it is media; None otherwise."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    present = pc.fill_null(pc.greater(pc.binary_length(values), 0), False).to_numpy(zero_copy_only=False)
    non_null = int(present.sum())
    if not non_null:
        return None
    kinds = kinds_of(values)
    media = present & (kinds != "")
    share = media.sum() / non_null
    if share < 0.8:
        return None
    counts: dict[str, int] = {}
    for k in kinds[media]:
        counts[k] = counts.get(k, 0) + 1
    by_entity: dict[str, int] = {}
    for k, n in counts.items():
        by_entity[KIND_ENTITY[k]] = by_entity.get(KIND_ENTITY[k], 0) + n
    entity = max(by_entity, key=lambda e: by_entity[e])
    kinds_text = ", ".join(f"{KIND_LABEL[k]} {n}" for k, n in sorted(counts.items(), key=lambda kv: -kv[1]))
    evidence = f"{share:.0%} of values are media by their first bytes ({kinds_text})"
    idx = np.flatnonzero(media)
    samples: list[str] = []
    if entity == "IMAGE":
        faces_of: dict[int, int] = {}
        if check_faces and face_detector_available():
            checked = idx if len(idx) <= FACES_CHECKED else idx[np.linspace(0, len(idx) - 1, FACES_CHECKED).astype(int)]
            for i, data in zip(checked, values.take(pa.array(checked)).to_pylist(), strict=True):
                faces_of[int(i)] = count_faces(data)
            with_face = sum(1 for n in faces_of.values() if n)
            evidence += f"; faces in {with_face} of {len(faces_of)} checked images"
            if with_face >= FACE_MIN_IMAGES or (with_face and with_face / len(faces_of) >= FACE_MIN_SHARE * 4):
                entity = "FACE_IMAGE"
        elif check_faces:
            evidence += "; faces not checked (install chujing[media] for scikit-image's face detector)"
        shown = sorted(faces_of, key=lambda i: -faces_of[i])[:max_samples] if faces_of else idx[:max_samples].tolist()
        for i in shown:
            data = values[int(i)].as_py()
            samples.append(describe(data, kinds[i], faces_of.get(int(i))))
    else:
        for i in idx[:max_samples]:
            samples.append(describe(values[int(i)].as_py(), kinds[i]))
    return MediaFinding(entity, float(share), counts, samples, evidence)


def modality_of(entities: Iterable[str]) -> str | None:
    """The AI-training modality of a dataset from the entities of its columns.

    Audio or video beside transcripts or labels is audio or video data; images beside
    captions are image data; prose alone is text.
    """
    seen = set(entities)
    if "AUDIO" in seen:
        return "audio"
    if "VIDEO" in seen:
        return "video"
    if seen & {"FACE_IMAGE", "IMAGE"}:
        return "image"
    if "FREE_TEXT" in seen:
        return "text"
    return None
