"""Text made of ASCII letters and digits only, and the patterns that can never match in it.

Most values of a big export's key columns are like that: ID numbers, phones, card numbers,
codes. Many detectors' patterns need some other character: a ``*`` (masked values), an ``@``,
a Chinese character, a dash or a space. Such a pattern cannot match anywhere in such text, so
a column (or a chunk of columns) whose bytes are all letters and digits is not run through it:
that is asked of its bytes once (:func:`alnum_only`), and of the pattern once
(:func:`alnum_can_match`).

:func:`alnum_can_match` reads the pattern with Python's own regular-expression parser after
turning RE2's few extra forms into Python's; whatever it cannot read with certainty it answers
``True`` (the pattern is run): it may say True too often, never False wrongly.

>>> alnum_can_match(r"^(?:1[3-9][0-9]{9})$"), alnum_can_match(r"^(?:[0-9]{3}\\*{4}[0-9]{4})$")
(True, False)
>>> alnum_can_match(r"\\p{Han}{2,4}"), alnum_can_match(r"[\\p{Han}A-Z]+"), alnum_can_match(r"[\\s\\-]*")
(False, True, True)
"""

from __future__ import annotations

import functools
import re
import warnings
import weakref

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["alnum_can_match", "alnum_only", "ascii_classes_only", "every_character_in", "holds_any_byte", "match_bytes",
           "present_bytes", "value_bytes"]

_ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_ALNUM_SET = frozenset(_ALNUM)

# RE2 forms Python's parser reads otherwise or not at all: any of them and the pattern is run.
_UNREADABLE = ("\\Q", "[:", "\\P", "\\C", "\\pN", "\\pL", "(?U", "(?s:", "(?m:")
_SCRIPT = re.compile(r"\\p\{(\w+)\}")
_HEX = re.compile(r"\\x\{([0-9A-Fa-f]{1,6})\}")
# Unicode scripts and classes of which no ASCII letter or digit is a member.
_NOT_ASCII_ALNUM = frozenset({"Han", "Hiragana", "Katakana", "Hangul", "Greek", "Cyrillic", "Arabic", "Hebrew",
                              "Thai", "Tibetan", "Mongolian", "Uyghur"})


def _python_form(pattern: str, stand_in: str | None = None):
    """``pattern`` (RE2) read by Python's parser as a tree, RE2's ``\\x{...}`` and ``\\z`` turned
    into Python's and each script class into a stand-in character (``stand_in``, or as
    :func:`alnum_can_match` needs); None when it holds a form Python reads otherwise or not at
    all."""
    if any(form in pattern for form in _UNREADABLE):
        return None

    def script(m: re.Match) -> str:
        # A script without ASCII letters or digits stands for one of its characters; any other
        # class (\p{L}, \p{N}, \p{Latin}...) for an ASCII letter, which it may hold.
        if stand_in is not None:
            return stand_in
        return "\u4e00" if m.group(1) in _NOT_ASCII_ALNUM else "a"

    python_form = _HEX.sub(lambda m: f"\\U{int(m.group(1), 16):08x}", _SCRIPT.sub(script, pattern))
    python_form = python_form.replace("\\z", "\\Z")
    try:
        from re import _parser as sre_parse  # noqa: PLC0415 - the parser's vocabulary
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            return sre_parse.parse(python_form)
    except Exception:  # noqa: BLE001 - unreadable here: run it
        return None


@functools.cache
def alnum_can_match(pattern: str) -> bool:
    """Whether ``pattern`` (RE2) can match some string of ASCII letters and digits only (the
    empty string included): if not, it matches nowhere in text made of them."""
    from re import _constants as c  # noqa: PLC0415 - the parser's vocabulary

    tree = _python_form(pattern)
    if tree is None:
        return True
    if tree.state.flags & re.IGNORECASE:
        return True  # case folding maps some non-ASCII letters onto ASCII ones (K, ſ): run it
    try:
        return _sequence(tree, c)
    except _Unsure:
        return True


class _Unsure(Exception):
    pass


def _sequence(items, c) -> bool:
    return all(_item(op, av, c) for op, av in items)


def _item(op, av, c) -> bool:
    if op is c.LITERAL:
        return chr(av) in _ALNUM_SET
    if op is c.IN:
        return any(_member(av, ch, c) for ch in _ALNUM)
    if op is c.BRANCH:
        return any(_sequence(branch, c) for branch in av[1])
    if op is c.SUBPATTERN:
        _, add_flags, _, sub = av
        if add_flags & re.IGNORECASE:
            raise _Unsure
        return _sequence(sub, c)
    if op in (c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", c.MAX_REPEAT)):
        low, _, sub = av
        return low == 0 or _sequence(sub, c)
    if op in (c.NOT_LITERAL, c.ANY, c.AT):
        return True
    raise _Unsure


def _member(items, ch: str, c) -> bool:
    """Whether ``ch`` is in the character class ``items``."""
    negate = False
    found = False
    for op, av in items:
        if op is c.NEGATE:
            negate = True
        elif op is c.LITERAL:
            found |= chr(av) == ch
        elif op is c.RANGE:
            found |= av[0] <= ord(ch) <= av[1]
        elif op is c.CATEGORY:
            if av in (c.CATEGORY_DIGIT,):
                found |= ch.isdigit()
            elif av is c.CATEGORY_NOT_DIGIT:
                found |= not ch.isdigit()
            elif av in (c.CATEGORY_WORD, c.CATEGORY_NOT_SPACE):
                found = True
            elif av in (c.CATEGORY_SPACE, c.CATEGORY_NOT_WORD):
                pass
            else:
                raise _Unsure
        else:
            raise _Unsure
    return found != negate


# What every match needs: RE2's Perl classes are ASCII only (\s is [\t\n\f\r ], unlike Python's).
_RE2_SPACE = frozenset(b"\t\n\f\r ")
_RE2_DIGIT = frozenset(b"0123456789")
_RE2_WORD = frozenset(_ALNUM.encode() + b"_")
_UNKNOWN = 0x10FFFD  # stands for a script class (\p{Han}...): its bytes are not worked out


@functools.cache
def match_bytes(pattern: str) -> frozenset[int] | None:
    r"""Bytes of which every match of ``pattern`` (RE2) holds at least one, or None when that
    cannot be said (a match may be empty, or no part of it that every match needs is read with
    certainty). A character outside ASCII stands for the first byte of its UTF-8 form.

    >>> sorted(match_bytes(r"\s+")), sorted(match_bytes(r"(\p{Han})\s*[.．]\s*(\p{Han})"))
    ([9, 10, 12, 13, 32], [46, 239])
    >>> match_bytes(r"\p{Han}+"), match_bytes(r"[^,]+"), match_bytes(r"\s*"), match_bytes(r"(?i)k")
    (None, None, None, None)
    """
    from re import _constants as c  # noqa: PLC0415 - the parser's vocabulary

    tree = _python_form(pattern, stand_in=chr(_UNKNOWN))
    if tree is None or tree.state.flags & re.IGNORECASE:
        return None
    return _needed_in_sequence(list(tree), c)


def _needed_in_sequence(items, c) -> frozenset[int] | None:
    """The smallest byte set one of the sequence's items needs (any of them will do)."""
    best = None
    for op, av in items:
        try:
            needed = _needed_by(op, av, c)
        except _Unsure:
            continue
        if needed is not None and (best is None or len(needed) < len(best)):
            best = needed
    return best


def _needed_by(op, av, c) -> frozenset[int] | None:
    """The bytes an item's every match holds one of; None when it can match nothing at all (an
    anchor, an optional part); raises ``_Unsure`` when not read with certainty."""
    if op is c.LITERAL:
        if av == _UNKNOWN:
            raise _Unsure
        return frozenset(chr(av).encode("utf-8")[:1])
    if op is c.IN:
        return _class_bytes(av, c)
    if op is c.SUBPATTERN:
        _, add_flags, _, sub = av
        if add_flags & re.IGNORECASE:
            raise _Unsure
        needed = _needed_in_sequence(sub, c)
        if needed is None:
            raise _Unsure
        return needed
    if op in (c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", c.MAX_REPEAT)):
        low, _, sub = av
        if low == 0:
            return None
        needed = _needed_in_sequence(sub, c)
        if needed is None:
            raise _Unsure
        return needed
    if op is c.BRANCH:
        out: set[int] = set()
        for branch in av[1]:
            needed = _needed_in_sequence(branch, c)
            if needed is None:
                raise _Unsure
            out |= needed
        return frozenset(out)
    if op is c.AT:
        return None
    raise _Unsure


def _class_bytes(items, c) -> frozenset[int]:
    """Bytes that begin each character of a class (a superset for ranges beyond ASCII)."""
    out: set[int] = set()
    for op, av in items:
        if op is c.LITERAL and av != _UNKNOWN:
            out.add(chr(av).encode("utf-8")[0])
        elif op is c.RANGE:
            # The first byte of a character's UTF-8 form grows with the character.
            out.update(range(chr(av[0]).encode("utf-8")[0], chr(av[1]).encode("utf-8")[0] + 1))
        elif op is c.CATEGORY and av is c.CATEGORY_SPACE:
            out |= _RE2_SPACE
        elif op is c.CATEGORY and av is c.CATEGORY_DIGIT:
            out |= _RE2_DIGIT
        elif op is c.CATEGORY and av is c.CATEGORY_WORD:
            out |= _RE2_WORD
        else:
            raise _Unsure  # negated, a script class, a negated Perl class
    return frozenset(out)


@functools.cache
def _byte_table(needed: frozenset[int]) -> np.ndarray:
    table = np.zeros(256, bool)
    table[list(needed)] = True
    return table


def holds_any_byte(values: pa.Array, needed: frozenset[int]) -> bool:
    """Whether some byte of a string array's values is one of ``needed`` (a null's bytes may be
    counted: True too often, never False wrongly; True for arrays not read as bytes here)."""
    present = present_bytes(values)
    return present is None or bool((present & _byte_table(needed)).any())


_PRESENT: dict[int, tuple[weakref.ref, np.ndarray | None]] = {}
# From this many bytes on, Arrow finds which bytes occur faster than numpy (its call costs about
# 20 µs): 34 MB of addresses 78 ms against 141 ms; 10 KB 54 µs against 45 µs.
_ARROW_UNIQUE_FROM = 64 << 10


def present_bytes(values: pa.Array) -> np.ndarray | None:
    """Which of the 256 byte values occur in a string array's values (a null's bytes may be
    among them), found in one pass and remembered while the array lives: the detectors of a
    chunk ask of the same array in turn. None for arrays not read as bytes here."""
    key = id(values)
    seen = _PRESENT.get(key)
    if seen is not None and seen[0]() is values:
        return seen[1]
    raw = value_bytes(values)
    present = None
    if raw is not None:
        present = np.zeros(256, bool)
        if len(raw) < _ARROW_UNIQUE_FROM:
            present[raw] = True
        else:  # Arrow's unique keeps one-byte values in a table of 256: 2.3 ns a byte against 4
            present[pc.unique(pa.array(raw, pa.uint8())).to_numpy()] = True
    try:
        _PRESENT[key] = (weakref.ref(values, lambda _, key=key: _PRESENT.pop(key, None)), present)
    except TypeError:
        pass
    return present


@functools.cache
def _one_class(pattern: str) -> tuple[bool, frozenset[int], bool] | None:
    """A pattern that is one character class: (negated, the bytes that begin its members,
    whether those members are exactly the ASCII characters of the bytes); None when not read."""
    from re import _constants as c  # noqa: PLC0415 - the parser's vocabulary

    tree = _python_form(pattern, stand_in=chr(_UNKNOWN))
    if tree is None or tree.state.flags & re.IGNORECASE or len(tree) != 1:
        return None
    op, av = tree[0]
    if op is c.LITERAL:
        av, op = [(c.LITERAL, av)], c.IN
    if op is not c.IN:
        return None
    negated = bool(av) and av[0][0] is c.NEGATE
    members = av[1:] if negated else av
    try:
        lead = _class_bytes(members, c)
    except _Unsure:
        return None
    return negated, lead, max(lead, default=0) < 0x80


def every_character_in(one: str, values: pa.Array) -> bool:
    """True when every character of every value is certainly in the class ``one`` (so
    ``^(?:one)*$`` matches each value): the values' bytes are all ASCII members of a class of
    ASCII characters, or hold no first byte of any member of a negated class. False when unsure.

    >>> every_character_in("[0-9]", pa.array(["6222", "13"])), every_character_in("[0-9]", pa.array(["62a"]))
    (True, False)
    >>> every_character_in("[^，。!]", pa.array(["北京市朝阳区"])), every_character_in("[^，。!]", pa.array(["好，"]))
    (True, False)
    """
    read = _one_class(one)
    if read is None:
        return False
    present = present_bytes(values)
    if present is None:
        return False
    negated, lead, exact = read
    if negated:
        return not (present & _byte_table(lead)).any()
    return exact and not (present & ~_byte_table(lead)).any()


@functools.cache
def ascii_classes_only(pattern: str) -> bool:
    """Every character class of ``pattern`` (RE2) holds ASCII characters only, and it has no
    ``.``, negated class or script class: RE2 compiles it into a small automaton even with long
    counted repetitions (an e-mail address's ASCII form: 0.6 ms). False when unsure."""
    from re import _constants as c  # noqa: PLC0415 - the parser's vocabulary

    if not pattern.isascii():
        return False
    tree = _python_form(pattern, stand_in=chr(_UNKNOWN))
    if tree is None or tree.state.flags & re.IGNORECASE:
        return False
    try:
        return _ascii_only(list(tree), c)
    except _Unsure:
        return False


def _ascii_only(items, c) -> bool:
    for op, av in items:
        if op is c.LITERAL:
            if av >= 0x80:
                return False
        elif op is c.IN:
            if av and av[0][0] is c.NEGATE:
                return False
            if max(_class_bytes(av, c), default=0) >= 0x80:
                return False
        elif op is c.SUBPATTERN:
            if not _ascii_only(av[3], c):
                return False
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT):
            if not _ascii_only(av[2], c):
                return False
        elif op is c.BRANCH:
            if not all(_ascii_only(branch, c) for branch in av[1]):
                return False
        elif op is not c.AT:
            return False
    return True


_SEEN: dict[int, tuple[weakref.ref, bool]] = {}


def alnum_only(values: pa.Array) -> bool:
    """Every value of a string array is made of ASCII letters and digits (an empty value or a
    null's bytes may make this False: it can say False too often, never True wrongly). Asked
    once per array object: the detectors of a chunk ask of the same array in turn."""
    if not isinstance(values, pa.Array) or not pa.types.is_string(values.type):
        return False
    key = id(values)
    seen = _SEEN.get(key)
    if seen is not None and seen[0]() is values:
        return seen[1]
    answer = _alnum_bytes(values)
    try:
        _SEEN[key] = (weakref.ref(values, lambda _, key=key: _SEEN.pop(key, None)), answer)
    except TypeError:
        pass
    return answer


def value_bytes(values: pa.Array) -> np.ndarray | None:
    """The bytes of a string array's values as one numpy view, no copy (None: not a plain
    ``string`` array, e.g. chunked or ``large_string``)."""
    if not isinstance(values, pa.Array) or not pa.types.is_string(values.type):
        return None
    data = values.buffers()[2]
    if not len(values) or data is None:
        return np.zeros(0, np.uint8)
    offsets = np.frombuffer(values.buffers()[1], np.int32)[values.offset:values.offset + len(values) + 1]
    return np.frombuffer(data, np.uint8)[int(offsets[0]):int(offsets[-1])]


def _alnum_bytes(values: pa.Array) -> bool:
    raw = value_bytes(values)
    if not len(raw):
        return True
    low, high = int(raw.min()), int(raw.max())
    if low < 0x30 or high > 0x7A:
        return False
    if high <= 0x39:
        return True  # digits only
    return pc.all(pc.ascii_is_alnum(values)).as_py() is not False  # an empty value is not alnum: False
