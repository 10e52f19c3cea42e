"""The shape every detector has.

A detector knows how to recognise one kind of value (an entity) in a whole Arrow array at once:

* ``normalise``: strip separators and case so that formats collapse to one (``138 0013 8000``
  and ``+86-13800138000`` both become ``13800138000``); vectorised with Arrow kernels.
* ``pattern``: an RE2 pattern that a *normalised* value must match in full (anchors are added
  here, never by the detector); ``None`` for detectors that only a header can raise.
* ``validate``: a vectorised check (checksum, calendar date...) over the normalised values that
  matched the pattern, returning a numpy boolean array.
* ``mask``: how one value is shown in a report: never the whole identifier.
* ``header_words``: words in a column header (Chinese, English, pinyin initials) that say the
  column holds this entity. A header alone never labels a column whose values contradict it.
* ``header_pattern``: a looser shape that values may take when the header names the entity
  (a legacy non-Luhn bank card under 银行卡号, a 12-digit file number under 档案编号, an MD5
  under 密码). Values must still have that shape: a header cannot label contradicting values.
* ``column_check``: a plausibility test over a column's valid values taken together (a batch
  code column whose "phone numbers" are consecutive, "birth dates" that all fall in the last
  two years); below 0.5 the values alone do not label the column (nor, with
  ``column_check_under_header``, values under a header that names the entity).
* ``placeholder``: normalised values that have the entity's shape but are never real ones (an
  all-zero IMEI, the broadcast MAC address): never valid, under a header either.

Detectors know nothing of files or of the law (see STYLE.md).
"""

from __future__ import annotations

import functools
import re
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from detectors.alnum_text import (
    alnum_can_match,
    alnum_only,
    ascii_classes_only,
    every_character_in,
    holds_any_byte,
    match_bytes,
    value_bytes,
)

ArrayValidator = Callable[[pa.Array], np.ndarray]
ArrayTransform = Callable[[pa.Array], pa.Array]


_REMEMBERED: dict[tuple, tuple[weakref.ref, pa.Array | None]] = {}


def per_array(transform: Callable[..., pa.Array] | None = None, *,
              idempotent: bool = False) -> Callable[..., pa.Array]:
    """Remember a transform's result for as long as its input array lives: the detectors of a
    chunk (or of a column's batch) strip and normalise the same array in turn, and Arrow arrays
    are immutable. The input is held weakly, and a result that is the input itself is not held
    at all (it would keep the input alive). An ``idempotent`` transform's result is also
    remembered as its own result: a column trimmed once is not trimmed again by a detector's
    normaliser that trims too."""
    if transform is None:
        return functools.partial(per_array, idempotent=idempotent)

    def remember(key: tuple, values: pa.Array, out: pa.Array | None) -> None:
        _REMEMBERED[key] = (weakref.ref(values, lambda _, key=key: _REMEMBERED.pop(key, None)), out)

    @functools.wraps(transform)
    def remembered(values: pa.Array, *args: Any) -> pa.Array:
        if type(values) is not pa.StringArray:
            return transform(values, *args)
        key = (transform.__name__, id(values), args)
        seen = _REMEMBERED.get(key)
        if seen is not None and seen[0]() is values:
            return values if seen[1] is None else seen[1]
        out = transform(values, *args)
        remember(key, values, None if out is values else out)
        if idempotent and out is not values and type(out) is pa.StringArray:
            remember((transform.__name__, id(out), args), out, None)
        return out

    return remembered


@per_array(idempotent=True)
def strip_whitespace(values: pa.Array) -> pa.Array:
    """Values as a detector reads them: surrounding white space trimmed (also the ideographic
    space U+3000), and undone the ways spreadsheets and business systems keep numbers as text,
    which would otherwise hide an ID number or a phone from every check: Excel's formula
    ``="110105…"``, a leading apostrophe ``'110105…``, full-width digits and letters
    (``１１０１０５…``, read as NFKC reads them) and invisible zero-width characters.

    Values whose bytes are all printable ASCII have no space to trim: that is asked of the bytes
    at once (a min and a max), which costs a tenth of trimming every value; the other rewrites
    are only looked for where the bytes they need occur.

    >>> strip_whitespace(pa.array(['="110105"', "'13800138000", " １３８００１３８０００ ", "138\u200b0013", "a"])).to_pylist()
    ['110105', '13800138000', '13800138000', '1380013', 'a']
    >>> strip_whitespace(pa.chunked_array([["１３８"], ["'7 "]])).to_pylist()  # chunked: the same readings
    ['138', '7']
    """
    raw = value_bytes(values)
    if raw is None:  # a chunked or large array: every rewrite is looked for
        return _as_read(pc.utf8_trim(_plain_forms(values), characters=_SPACES))
    if not len(raw):
        return values
    if int(raw.min()) > 0x20 and int(raw.max()) < 0x7F:  # printable ASCII: nothing to trim
        return _as_read(values, raw)
    return _as_read(pc.utf8_trim(_plain_forms(values, raw), characters=_SPACES), raw)


_SPACES = " \t\r\n\u3000\u00a0"
# Full-width ASCII letters and digits, and the invisible characters that only hide a value.
_FULL_WIDTH_OR_INVISIBLE = "[０-９Ａ-Ｚａ-ｚ\\x{200B}-\\x{200D}\\x{2060}\\x{FEFF}]"
_INVISIBLE = "[\\x{200B}-\\x{200D}\\x{2060}\\x{FEFF}]"


def _plain_forms(values: pa.Array, raw: np.ndarray | None = None) -> pa.Array:
    """Full-width letters and digits as ASCII (NFKC) and invisible characters removed, in the
    values holding any (their UTF-8 starts with byte EF or E2: looked for only where one of the
    values' bytes ``raw`` is one; everywhere when ``raw`` is not given)."""
    if raw is not None and not ((raw == 0xEF).any() or (raw == 0xE2).any()):
        return values
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    hit = pc.match_substring_regex(values, _FULL_WIDTH_OR_INVISIBLE).fill_null(False)
    if not pc.any(hit).as_py():
        return values
    plain = pc.replace_substring_regex(pc.utf8_normalize(values.filter(hit), "NFKC"), _INVISIBLE, "")
    return pc.replace_with_mask(values, hit, plain)


def _as_read(values: pa.Array, raw: np.ndarray | None = None) -> pa.Array:
    """Excel's ``="…"`` and leading apostrophes undone (asked only where ``=`` or ``'`` occurs)."""
    if raw is not None and not ((raw == ord("=")).any() or (raw == ord("'")).any()):
        return values
    out = replace_regex(values, r'^="([^"]*)"$', r"\1")
    out = replace_regex(out, r"^'+", "")
    return out if out is values else pc.utf8_trim(out, characters=_SPACES)


def replace_regexes(values: pa.Array, rewrites: tuple[tuple[str, str], ...]) -> pa.Array:
    """``replace_regex`` with each ``(pattern, replacement)`` in turn, run only on the values
    that one of the patterns matches (found in one pass): a value none of them matches is left
    unchanged by every step, so only the others can change.

    >>> replace_regexes(pa.array(["a b", "ab", "a-b"]), (("-", ""), (" ", ""))).to_pylist()
    ['ab', 'ab', 'ab']
    """
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if all(_spares_alnum(p) or not alnum_can_match(p) for p, _ in rewrites) and alnum_only(values):
        return values
    if not any(_may_match(p, values) for p, _ in rewrites):
        return values  # none matches the values as they are: no step changes them
    hit = pc.match_substring_regex(values, "|".join(f"(?:{p})" for p, _ in rewrites)).fill_null(False)
    found = pc.sum(hit).as_py() or 0
    if not found:
        return values
    rewritten = values if found * 2 > len(values) else values.filter(hit)
    for pattern, replacement in rewrites:
        rewritten = replace_regex(rewritten, pattern, replacement)
    return rewritten if found * 2 > len(values) else pc.replace_with_mask(values, hit, rewritten)


@per_array
def remove_separators(values: pa.Array, separators: str = "[\\s\\-\u3000\u00a0·.]") -> pa.Array:
    """Remove spaces, dashes, middle dots and dots anywhere in the value."""
    return replace_regex(values, separators, "")


def replace_regex(values: pa.Array, pattern: str, replacement: str = "") -> pa.Array:
    """``pc.replace_substring_regex``, on the values that match only.

    Finding a match costs a third of rewriting every value, and most columns of a clean export
    have nothing to rewrite: normalisers run this on every row of every batch, and on many
    columns put end to end, where a few columns' values are all there is to rewrite.

    >>> replace_regex(pa.array(["a-b", "ab", None, "c-d-e"]), "-").to_pylist()
    ['ab', 'ab', None, 'cde']

    A pattern that is one character class matching no ASCII letter or digit (separators) is
    not run at all over values made of letters and digits only (asked of their bytes at once).
    """
    if (_spares_alnum(pattern) or not alnum_can_match(pattern)) and alnum_only(values):
        return values
    if not _may_match(pattern, values):
        return values
    hit = pc.match_substring_regex(values, pattern)
    found = pc.sum(hit).as_py() or 0
    if not found:
        return values
    if found * 2 > len(values):
        return pc.replace_substring_regex(values, pattern=pattern, replacement=replacement)
    if isinstance(values, pa.ChunkedArray):
        values, hit = values.combine_chunks(), hit.combine_chunks()
    hit = hit.fill_null(False)
    rewritten = pc.replace_substring_regex(values.filter(hit), pattern=pattern, replacement=replacement)
    return pc.replace_with_mask(values, hit, rewritten)


def _may_match(pattern: str, values: pa.Array) -> bool:
    """False when no value can hold a match: every match needs one of some bytes (``\\s+``: the
    five white space bytes) and the values' bytes hold none (one pass over them, against a
    regex run over every value). True when unsure."""
    needed = match_bytes(pattern)
    return needed is None or holds_any_byte(values, needed)


@functools.cache
def _spares_alnum(pattern: str) -> bool:
    r"""``pattern`` is one character class (maybe repeated) that no ASCII letter or digit matches.

    >>> _spares_alnum("[\\s\\-()]"), _spares_alnum("[^0-9]"), _spares_alnum("-"), _spares_alnum("[a-z]+")
    (True, False, False, False)
    """
    whole = re.fullmatch(r"(\[[^\[\]]*\])[+*]?", pattern)
    if whole is None:
        return False
    try:
        one = re.compile(whole.group(1))
    except re.error:
        return False
    return not any(one.fullmatch(c) for c in "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def default_mask(value: str) -> str:
    """Keep the first 3 and last 2 characters of long values, star the rest.

    >>> default_mask("13800138000")
    '138******00'
    >>> default_mask("ab")
    '**'
    """
    if len(value) <= 6:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 5) + value[-2:]


def keep_ends_mask(head: int, tail: int) -> Callable[[str], str]:
    """A mask that keeps ``head`` leading and ``tail`` trailing characters.

    Short values (fewer than head + tail + 4 characters) are starred whole, so that masking
    never reveals most of a value.

    >>> keep_ends_mask(6, 4)("11010519491231002X")
    '110105********002X'
    """

    def mask(value: str) -> str:
        if len(value) < head + tail + 4:
            return "*" * len(value)
        return value[:head] + "*" * (len(value) - head - tail) + (value[-tail:] if tail else "")

    return mask


@per_array
def upper_compact(values: pa.Array) -> pa.Array:
    """Remove separators and upper-case: the normaliser of letter-and-digit identifiers."""
    return pc.utf8_upper(remove_separators(values))


def digits_text_pattern(pattern: str) -> str:
    """An unanchored form of ``pattern`` for prose: no letter or digit may touch the match.

    A word boundary is useless in Chinese text (a Han character and a digit are both word characters),
    so explicit look-arounds are used (Python's ``re``/``regex``, as Presidio runs them).

    >>> digits_text_pattern("[0-9]{6}")
    '(?<![0-9A-Za-z])(?:[0-9]{6})(?![0-9A-Za-z])'
    """
    return f"(?<![0-9A-Za-z])(?:{pattern})(?![0-9A-Za-z])"


def normalise_header(name: str) -> str:
    """Lower-case a header and drop separators so that ``Mobile_No`` matches ``mobileno``.

    >>> normalise_header(" 联系 电话(手机) ")
    '联系电话手机'
    >>> normalise_header("Mobile_No.")
    'mobileno'
    """
    return _normalised_header(str(name))


_HEADER_SEPARATORS = re.compile(r"[\s_\-./()（）\[\]【】:：#]+")  # one character class: no backtracking
# Where a header's words meet without a separator: a capital after a small letter or a digit, the
# last capital before a small letter, ASCII letters or digits beside other characters.
_WORD_BREAK = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=[A-Za-z0-9])(?=[^\x00-\x7f])"
                         r"|(?<=[^\x00-\x7f])(?=[A-Za-z0-9])")  # one character each side: linear
WORD_MARK = "\x1f"  # between the words of a marked header (a control character no header holds)


@functools.lru_cache(maxsize=1 << 16)
def marked_header(name: str) -> str:
    """A header lower-cased with a :data:`WORD_MARK` around each word: split at the separators
    :func:`normalise_header` drops, at a capital after a small letter or a digit, and where
    ASCII letters or digits meet other characters. Without the marks it is ``normalise_header(name)``
    (for a header without the mark itself).

    >>> marked_header("user.profile.realName").split(WORD_MARK), marked_header("手机号phone").split(WORD_MARK)
    (['', 'user', 'profile', 'real', 'name', ''], ['', '手机号', 'phone', ''])
    """
    broken = _WORD_BREAK.sub(" ", str(name).replace(WORD_MARK, " "))  # a space is a separator
    words = [w.lower() for w in _HEADER_SEPARATORS.split(broken) if w]
    return WORD_MARK + WORD_MARK.join(words) + WORD_MARK if words else ""


@functools.lru_cache(maxsize=1 << 16)
def _normalised_header(name: str) -> str:
    # Cached: every detector and rule asks for the same header's form, and small exports repeat
    # the same headers file after file.
    return _HEADER_SEPARATORS.sub("", name).lower()


@dataclass
class MatchParts:
    """What one detector's pattern, check, header shape and placeholders say of each value.

    Slices of it (:meth:`slice`) are the same pieces for a part of the values: a detector is
    matched once over many columns put end to end and each column takes its slice.
    """

    length: int
    normalised: pa.Array
    shape: np.ndarray | None = None  # the value has the pattern's shape (before the check)
    checked: np.ndarray | None = None  # ... and passes the check (checksum, calendar date)
    header_shape: np.ndarray | None = None  # the looser shape a header naming the entity admits
    fake: np.ndarray | None = None  # a placeholder of the right shape (all-zero IMEI)

    def ok(self, header_named: bool = False, check: bool = True) -> np.ndarray:
        """The values :meth:`Detector.valid_mask` accepts with these settings (a new array)."""
        base = self.checked if check else self.shape
        ok = np.zeros(self.length, dtype=bool) if base is None else base.copy()
        if header_named and self.header_shape is not None:
            ok |= self.header_shape
        if self.fake is not None:
            ok &= ~self.fake
        return ok

    def any_candidate(self) -> np.ndarray:
        """Values some reading of this detector may accept (a superset of every :meth:`ok`)."""
        out = np.zeros(self.length, dtype=bool)
        for part in (self.shape, self.header_shape):
            if part is not None:
                out |= part
        return out

    def slice(self, start: int, length: int) -> MatchParts:
        def cut(a: np.ndarray | None) -> np.ndarray | None:
            return None if a is None else a[start: start + length]

        return MatchParts(length, self.normalised.slice(start, length), cut(self.shape), cut(self.checked),
                          cut(self.header_shape), cut(self.fake))


def concat_text(arrays: list[pa.Array]) -> tuple[pa.Array, np.ndarray]:
    """String arrays end to end in one array, and where each starts (``offsets[i]``, plus the end).

    >>> text, offsets = concat_text([pa.array(["a", "b"]), pa.array(["c"])])
    >>> text.to_pylist(), offsets.tolist()
    (['a', 'b', 'c'], [0, 2, 3])
    """
    arrays = [_as_string(a) for a in arrays]
    offsets = np.zeros(len(arrays) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(a) for a in arrays])
    if not arrays:
        return pa.array([], pa.string()), offsets
    return (arrays[0] if len(arrays) == 1 else pa.concat_arrays(arrays)), offsets


@dataclass(frozen=True)
class Detector:
    """Everything about recognising one entity, in one place."""

    entity: str
    sensitive: bool
    category: str
    description: str
    pattern: str | None
    validate: ArrayValidator | None = None
    normalise: ArrayTransform = remove_separators
    mask: Callable[[str], str] = default_mask
    header_words: tuple[str, ...] = ()
    # Short pinyin abbreviations (sfzh, sjh...) only count when they are the whole header.
    header_exact: tuple[str, ...] = ()
    # Words that veto the header (``订单号`` under an ID-looking column name, ``紧急联系人``...).
    header_negative: tuple[str, ...] = ()
    # The pattern is too generic to stand alone (8-digit Taiwan permit, 12-digit file number):
    # the values must match *and* the header must say so.
    requires_header: bool = False
    # A column whose header names this entity but whose values cannot be checked (no pattern)
    # is classified from the header alone.
    person_key: bool = False
    # An identity document (resident ID, passport, permits, social security card): it names one
    # person, so two different values of one identity entity are two persons, whatever contact
    # they share. Other person keys (phones, e-mails, bank cards, user-named keys) are contacts:
    # they usually name one person but are shared in real data (a family phone, ``noreply@``).
    identity: bool = False
    # Canonical form used to compare persons (15-digit IDs upgraded to 18...). Defaults to the
    # normalised value.
    canonical: ArrayTransform | None = None
    # Share of non-null values that must validate for the values alone to label the column.
    min_share: float = 0.8
    # When two detectors validate a similar share, the higher priority wins (checksummed
    # identifiers over generic digit runs).
    priority: int = 0
    examples: tuple[str, ...] = field(default=())
    header_pattern: str | None = None
    column_check: Callable[[pa.Array], float] | None = None
    # Free text (Presidio): an unanchored pattern for prose and the words that raise the score
    # when they stand shortly before a match. ``text_pattern=None`` derives one from
    # ``pattern``; ``in_free_text=False`` keeps dictionary entities (names, genders) out.
    text_pattern: str | None = None
    context_words: tuple[str, ...] = ()
    in_free_text: bool = True
    # Base score in free text before context: checksummed identifiers score 1.0 once valid.
    text_score: float = 0.5
    # ``validate`` is a check digit over a number (Luhn, MOD 11-2): a float that lost the last
    # digits of such numbers is judged by shape alone.
    digit_checksum: bool = False
    # Whether a row holding this entity is personal information by itself. Coordinates are not
    # (a charging pile has a position); a person's or vehicle's series of them is a trajectory,
    # which the table analysis flags. Images without a face are not either.
    personal: bool = True
    # A header shape the header words cannot express (``rs1801133`` as a column name), RE2,
    # matched against the normalised header in full.
    header_regex: str | None = None
    # RE2, matched against normalised values in full: values of the right shape that are never
    # real (all-zero or broadcast MAC addresses, an all-zero IMEI), rejected under a header too.
    placeholder: str | None = None
    # The header alone does not vouch for the values: ``column_check`` also runs when the header
    # names the entity (a ``session_id`` header over S0...S999 is no credential).
    column_check_under_header: bool = False
    # What a value identifies when it is not a person: "vehicle" (VIN, plate, vehicle licence)
    # or "device" (serial, IMEI, IMSI, ICCID, MAC). Cars and phones are shared, so these never
    # link persons; rows with no person key are grouped by them instead of each being a person
    # of its own, and a series of points keyed by them is a vehicle's or a device's trajectory.
    thing_key: str | None = None
    # Birth dates (date32) from valid, normalised values: minors are counted from them.
    # ``birth_date_in_key``: the canonical key itself holds the birth date (a resident ID's
    # characters 7-14), so that the person counter tells minors apart on the keys alone.
    birth_dates: ArrayTransform | None = None
    birth_date_in_key: bool = False
    # Ages (int32, whole years) from valid, normalised values: the youngest age each value allows
    # (a range's lower end). Minors are counted from them as from birth dates.
    ages: ArrayTransform | None = None
    # One value checked in pure Python (python-stdnum's ``is_valid``), microseconds a value:
    # Presidio checks its matches one at a time with it. Without one, :meth:`is_valid` is used.
    value_check: Callable[[str], bool] | None = None
    # The patterns are a built-in's constants, which the test suite compiles as written
    # (tests/detectors/test_full_match_forms.py): they are not compiled again at every start.
    # For the e-mail pattern's counted repetitions of Unicode classes that is ~0.17 s of RE2.
    patterns_tested: bool = False

    def __post_init__(self) -> None:
        if self.identity and not self.person_key:
            raise ValueError(f"{self.entity}: an identity document is a person key (person_key=True)")
        for pattern in (self.pattern, self.header_pattern, self.header_regex, self.placeholder):
            if pattern is not None and not self.patterns_tested:
                _check_re2(pattern, self.entity)

    @property
    def anchored_pattern(self) -> str | None:
        return None if self.pattern is None else f"^(?:{self.pattern})$"

    @property
    def anchored_header_pattern(self) -> str | None:
        return None if self.header_pattern is None else f"^(?:{self.header_pattern})$"

    def valid_mask(self, values: pa.Array, header_named: bool = False, check: bool = True) -> tuple[np.ndarray, pa.Array]:
        """Which values are valid instances of this entity, and their normalised form.

        ``values`` is a string array (nulls allowed). Returns a numpy bool array of the same
        length (nulls are False) and the normalised array. With ``header_named`` (the column's
        header names this entity), values of the looser ``header_pattern`` shape count too.
        ``check=False`` skips the checksum: for numbers whose last digits a float has lost.
        """
        parts = self.match_parts(values, header_shape=header_named, validate=check)
        return parts.ok(header_named=header_named, check=check), parts.normalised

    def match_parts(self, values: pa.Array, header_shape: bool | np.ndarray = False,
                    validate: bool = True) -> MatchParts:
        """The pieces :meth:`valid_mask` combines, computed once over ``values``.

        Arrow compiles a pattern on every call, so a wide table is matched one detector at a
        time over all its columns put end to end (:func:`concat_text`), and each column's
        reading (header named or not, checksum or not) is combined from the pieces.
        ``header_shape``: also the looser header shape, on every value (True) or on the values
        a bool per value marks (the columns whose header names the entity: the only ones that
        read it); the other values' header shape is False.
        """
        values = _as_string(values)
        normalised = self.normalise(strip_whitespace(values))
        n = len(values)
        shape = checked = header = fake = None
        if self.pattern is not None:
            shape = full_match(normalised, self.anchored_pattern)
            if validate:
                checked = shape.copy()
                if self.validate is not None and shape.any():
                    idx = np.flatnonzero(shape)
                    checked[idx] = np.asarray(self.validate(normalised.take(pa.array(idx))), dtype=bool)
        if self.header_pattern is not None and isinstance(header_shape, np.ndarray):
            header = np.zeros(n, bool)
            where = np.flatnonzero(header_shape)
            if len(where):
                header[where] = full_match(normalised.take(pa.array(where)), self.anchored_header_pattern)
        elif self.header_pattern is not None and not isinstance(header_shape, np.ndarray) and header_shape:
            header = full_match(normalised, self.anchored_header_pattern)
        if self.placeholder is not None and ((shape is not None and shape.any()) or (header is not None and header.any())):
            fake = pc.match_substring_regex(normalised, f"^(?:{self.placeholder})$").fill_null(False) \
                .to_numpy(zero_copy_only=False)
        return MatchParts(n, normalised, shape, checked, header, fake)

    def is_valid(self, value: str) -> bool:
        """One value, checked exactly as a column's values are (normalise, pattern, check)."""
        ok, _ = self.valid_mask(pa.array([value], pa.string()))
        return bool(ok[0])

    def canonical_keys(self, normalised: pa.Array) -> pa.Array:
        """The canonical form of already normalised, valid values (for person linking)."""
        return self.canonical(normalised) if self.canonical is not None else normalised


def _as_string(values: pa.Array) -> pa.Array:
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if pa.types.is_string(values.type):
        return values
    if pa.types.is_large_string(values.type):
        return values.cast(pa.string())
    return values.cast(pa.string())


def full_match(values: pa.Array, anchored: str) -> np.ndarray:
    """Which values match ``anchored`` (an RE2 pattern with its anchors); nulls do not.

    Arrow compiles a pattern on every call, and a pattern with long counted repetitions of
    Unicode classes (an e-mail address's ``[\\p{L}\\p{N}...]{0,63}``) costs RE2 hundreds of
    milliseconds to compile: paid per column, that is minutes on a wide table. Such a pattern is
    first tried in its loose form (:func:`_loose_form`, cheap to compile, accepts a superset);
    the exact one only runs, on the values the loose one let through, when there are any.
    """
    if not alnum_can_match(anchored) and alnum_only(values):
        return np.zeros(len(values), bool)  # it needs a character none of the values has
    bounded = _bounded_class(anchored)
    if bounded is not None and len(values):
        # One character class repeated m..n times: RE2's automaton counts every repetition
        # (a state per count); the length and the class are asked apart, each in one pass.
        one, low, high = bounded
        length = pc.utf8_length(values)
        ok = pc.and_(pc.greater_equal(length, low), pc.less_equal(length, high))
        if not every_character_in(one, values):  # else the bytes alone say every value is of the class
            ok = pc.and_(ok, pc.match_substring_regex(values, f"^(?:{one})*$"))
        return ok.fill_null(False).to_numpy(zero_copy_only=False)
    ascii_form = _ascii_form(anchored)
    if ascii_form is not None and len(values):
        # On ASCII text, \p{L} and \p{N} are [A-Za-z] and [0-9]: the ASCII form of the pattern
        # gives the same answer there, and RE2 runs it ~40 times faster (an e-mail column:
        # 4 µs a value with the Unicode classes). Other values keep the pattern as written.
        is_ascii = pc.string_is_ascii(values).fill_null(True).to_numpy(zero_copy_only=False)
        if is_ascii.all():
            return full_match(values, ascii_form)
        if is_ascii.any():
            ok = np.zeros(len(values), bool)
            for where, pattern in ((np.flatnonzero(is_ascii), ascii_form), (np.flatnonzero(~is_ascii), None)):
                part = values.take(pa.array(where))
                ok[where] = full_match(part, pattern) if pattern else _full_match_as_written(part, anchored)
            return ok
    return _full_match_as_written(values, anchored)


_ONE_CLASS_REPEATED = re.compile(r"\^\(\?:(\[(?:[^\]\\]|\\.)*\]|\\p\{\w+\})\{(\d+),(\d+)\}\)\$")


@functools.cache
def _bounded_class(anchored: str) -> tuple[str, int, int] | None:
    r"""``(class, m, n)`` when ``anchored`` is one character class repeated m..n times, else None.

    >>> _bounded_class("^(?:[^，。]{5,80})$"), _bounded_class("^(?:[0-9]{17}[0-9X])$")
    (('[^，。]', 5, 80), None)
    """
    whole = _ONE_CLASS_REPEATED.fullmatch(anchored)
    if whole is None or int(whole.group(2)) > int(whole.group(3)):
        return None
    return whole.group(1), int(whole.group(2)), int(whole.group(3))


def _full_match_as_written(values: pa.Array, anchored: str) -> np.ndarray:
    # A pattern of ASCII classes compiles small whatever its repetitions: it runs once, as written.
    loose = None if ascii_classes_only(anchored) else _loose_form(anchored)
    if loose is None:
        return pc.match_substring_regex(values, anchored).fill_null(False).to_numpy(zero_copy_only=False)
    ok = pc.match_substring_regex(values, loose).fill_null(False).to_numpy(zero_copy_only=False).copy()
    bound = _loose_bound(anchored)
    if bound is not None and ok.any():
        # No value of at most ``bound`` characters can repeat one character more often than
        # that: for them the loose form's answer is the exact one.
        idx = np.flatnonzero(ok)
        longer = pc.greater(pc.utf8_length(values.take(pa.array(idx))), bound).to_numpy(zero_copy_only=False)
        ok[idx[~longer]] = True
        if not longer.any():
            return ok
        ok[idx[longer]] = False
        idx = idx[longer]
        ok[idx] = pc.match_substring_regex(values.take(pa.array(idx)), anchored).fill_null(False) \
            .to_numpy(zero_copy_only=False)
        return ok
    if ok.any():
        idx = np.flatnonzero(ok)
        exact = pc.match_substring_regex(values.take(pa.array(idx)), anchored)
        ok[idx] = exact.fill_null(False).to_numpy(zero_copy_only=False)
    return ok


_BOUNDED_REPEAT = re.compile(r"(?<!\\)\{(\d+),(\d+)\}")
_BRACE_IN_CLASS = re.compile(r"\[[^\]]*\{")
_UNICODE_CLASS = re.compile(r"\\[pP]\{\w+\}")


@functools.cache
def _loose_bound(pattern: str) -> int | None:
    r"""The smallest upper bound :func:`_loose_form` opens, when every repetition it opens is
    of one character (a class, ``\p{..}``, an escaped or plain character): then a value of at
    most that many characters matches ``pattern`` exactly when it matches the loose form.
    None otherwise.

    >>> _loose_bound("^(?:[a-z]{0,63}@x\\p{L}{2,24})$"), _loose_bound("^(?:(?:ab){0,20})$")
    (24, None)
    """
    if _loose_form(pattern) is None:
        return None
    bounds = []
    for m in _BOUNDED_REPEAT.finditer(pattern):
        if int(m.group(2)) <= 8:
            continue
        before = pattern[:m.start()]
        one_char = before.endswith(("]", ".")) or _UNICODE_CLASS_AT_END.search(before) is not None \
            or (len(before) >= 1 and before[-1] not in "()|?*+{}" and not before.endswith("\\"))
        if not one_char:
            return None
        bounds.append(int(m.group(2)))
    return min(bounds) if bounds else None


_UNICODE_CLASS_AT_END = re.compile(r"\\[pP]\{\w+\}$")


@functools.cache
def _loose_form(pattern: str) -> str | None:
    """``pattern`` with its long bounded repetitions ``{m,n}`` made open (``{m,}``): it accepts
    every value ``pattern`` does and compiles in a fraction of the time. None when there is
    nothing to loosen (or a brace sits in a character class, where this would be wrong).

    >>> _loose_form("^(?:[a-z]{0,63}@x)$"), _loose_form("^(?:[0-9]{17})$")
    ('^(?:[a-z]{0,}@x)$', None)
    """
    if _BRACE_IN_CLASS.search(_UNICODE_CLASS.sub("", pattern)):
        return None
    loose = _BOUNDED_REPEAT.sub(lambda m: f"{{{m.group(1)},}}" if int(m.group(2)) > 8 else m.group(), pattern)
    return loose if loose != pattern else None


_LETTER_OR_NUMBER = {"L": "A-Za-z", "N": "0-9"}


@functools.cache
def _ascii_form(pattern: str) -> str | None:
    r"""``pattern`` for ASCII text: ``\p{L}`` as ``A-Za-z`` and ``\p{N}`` as ``0-9`` (inside a
    character class; a class of their own outside one). None when the pattern has no such class,
    or another Unicode class (its ASCII reading is not attempted).

    >>> _ascii_form(r"^(?:[\p{L}\p{N}][\p{L}\p{N}._-]{0,9}@\p{L}{2,4})$")
    '^(?:[A-Za-z0-9][A-Za-z0-9._-]{0,9}@[A-Za-z]{2,4})$'
    >>> _ascii_form(r"^[0-9]{17}$"), _ascii_form(r"^\p{Han}+$")
    (None, None)
    """
    if "\\p{" not in pattern:
        return None
    out: list[str] = []
    in_class = False
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            if pattern[i + 1:i + 2] in ("p", "P"):
                end = pattern.find("}", i)
                name = pattern[i + 3:end] if pattern[i + 2:i + 3] == "{" and end > 0 else None
                if pattern[i + 1] == "P" or name not in _LETTER_OR_NUMBER:
                    return None
                ascii_class = _LETTER_OR_NUMBER[name]
                out.append(ascii_class if in_class else f"[{ascii_class}]")
                i = end + 1
                continue
            out.append(pattern[i:i + 2])
            i += 2
            continue
        if c == "[" and not in_class:
            in_class = True
            out.append(c)
            # A ``]`` (or ``^]``) right after the opening bracket is a member, not the end.
            for lead in ("^", "]"):
                if pattern[i + 1:i + 2] == lead:
                    out.append(lead)
                    i += 1
        elif c == "]" and in_class:
            in_class = False
            out.append(c)
        else:
            out.append(c)
        i += 1
    return "".join(out)


_RE2_UNSUPPORTED = re.compile(r"\(\?<?[=!]|\\[1-9]|\(\?>|[*+?}]\+")


def _check_re2(pattern: str, name: str) -> None:
    """Refuse patterns RE2 cannot run (look-around, back-references, possessives).

    Patterns are compiled by Arrow's RE2 engine, which guarantees linear time: no
    catastrophic backtracking can come from a detector definition.
    """
    if _RE2_UNSUPPORTED.search(pattern):
        raise ValueError(f"detector {name}: pattern uses a construct RE2 does not support (look-around, back-reference or possessive quantifier)")
    try:
        pc.match_substring_regex(pa.array([""], pa.string()), pattern)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise ValueError(f"detector {name}: pattern is not valid RE2: {exc}") from None


def digits_matrix(values: pa.Array, width: int) -> np.ndarray:
    """View a string array whose values are all ``width`` ASCII characters as a uint8 matrix.

    Used by vectorised checksum validators: no Python loop per value.
    """
    values = _as_string(values)
    n = len(values)
    if n == 0:
        return np.zeros((0, width), dtype=np.uint8)
    buffers = values.buffers()
    offsets = np.frombuffer(buffers[1], dtype=np.int32, count=n + 1, offset=values.offset * 4)
    data = np.frombuffer(buffers[2], dtype=np.uint8)
    starts = offsets[:-1]
    if not np.all(offsets[1:] - starts == width):
        raise ValueError("digits_matrix needs values of equal width")
    # Values of one width lie back to back in the data buffer: the matrix is a reshape of it,
    # without a copy or an index matrix.
    return data[offsets[0]: offsets[-1]].reshape(n, width)
