"""A fast reader for incident files in the shapes incli writes them.

PyYAML's loader spends most of its time building Python objects in Python
(about 0.4 ms for a typical incident file even with the C parser). incli writes
its files with PyYAML's safe dumper in block style (``yamlio.dump``), and this
module reads back every shape that dumper writes, line by line with a few
precompiled patterns:

- block mappings and block lists to any depth, lists inside mappings written at
  the key's column (``tags:`` then ``- x``), compact forms (``- at: ...``,
  ``- - question: ...``), ``{}`` and ``[]``, and long keys written as ``? key`` /
  ``: value``;
- plain scalars, also folded over several lines; single-quoted scalars (``''``)
  and double-quoted ones with every escape libyaml reads (``\\x..``, ``\\u....``,
  ``\\U........``, ``\\N``, ``\\_``, ``\\L``, ``\\P``, ``\\e``, ``\\ ``, ``\\/``,
  ``\\t``, ...), folded over lines, escaped line breaks included;
- literal blocks (``|``, ``|-``, ``|+``, with an indentation indicator such as
  ``|2-``), the ``...`` that ends a document after a ``|+`` block, and the line
  separators U+2028/U+2029 the dumper leaves in quoted and literal text.

Whatever it returns is exactly what ``yamlio.load`` returns for the same bytes
(the same resolution rules: only true/false, null, plain integers and floats are
typed; timestamps stay text). Anything outside that subset (a comment, a tag, an
anchor or alias, a flow collection with items, a folded ``>`` block, a tab,
a carriage return, a duplicated key, a key that is not text, ...) gives None,
and the caller then uses PyYAML: a file a person edited by hand is still read,
only more slowly. Tests write every kind of file through incli and check both
readers agree without falling back, and feed random documents and hostile bytes
to both.
"""

from __future__ import annotations

import re
from typing import Any

# Characters libyaml's reader accepts are read here, except tab, carriage return, NEL
# (U+0085) and the byte order mark (U+FEFF), which are left to PyYAML; U+2028 and U+2029
# are line breaks to YAML and handled here. Checked on the bytes: ASCII control characters
# by deleting every other byte (C speed), the rest by their UTF-8 spelling.
_ALLOWED_BYTES = bytes([10, *range(0x20, 0x7F), *range(0x80, 0x100)])
_C1_OR_NEL = re.compile(rb"\xc2[\x80-\x9f]")
_NONCHARACTERS = (b"\xef\xbb\xbf", b"\xef\xbf\xbe", b"\xef\xbf\xbf")  # U+FEFF, U+FFFE, U+FFFF
_LINE_BREAKS = re.compile("(\n|\u2028|\u2029)")
# A file ends with a line break: a newline, or the line separator that ends a literal
# block's text (the dumper writes no newline after it).
_LAST_BREAKS = (b"\n", "\u2028".encode(), "\u2029".encode())

_CONSTANTS: dict[str, Any] = {
    "true": True,
    "True": True,
    "TRUE": True,
    "false": False,
    "False": False,
    "FALSE": False,
    "~": None,
    "null": None,
    "Null": None,
    "NULL": None,
}
_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)\Z")
_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?\Z")
_SPECIAL_FLOATS = {
    ".inf": float("inf"),
    ".Inf": float("inf"),
    ".INF": float("inf"),
    "+.inf": float("inf"),
    "+.Inf": float("inf"),
    "+.INF": float("inf"),
    "-.inf": float("-inf"),
    "-.Inf": float("-inf"),
    "-.INF": float("-inf"),
    ".nan": float("nan"),
    ".NaN": float("nan"),
    ".NAN": float("nan"),
}
_TYPED_FIRST = frozenset("tTfFnN~-+.0123456789")
# A plain scalar never starts with these (``-``, ``?`` and ``:`` may start one when a
# non-space follows).
_NOT_PLAIN_FIRST = frozenset(",[]{}#&*!|>'\"%@` ")
_MAYBE_INDICATOR = frozenset("-?:")

# `key: value` / `key:` with the common key spelling, at any indentation; the commonest
# values picked out too: single-quoted without a quote inside (group 3), plain starting
# with a letter, digit, _ / or ( with neither : nor # inside (group 4); any other (group 5).
_ENTRY = re.compile(r"( *)([A-Za-z_][A-Za-z0-9_]{0,999}):(?: (?:'([^']*)'|([A-Za-z0-9_/(][^:#]*(?<! ))|(.*)))?\Z")
_SIMPLE_KEY = re.compile(r"([A-Za-z_][A-Za-z0-9_]{0,999}):(?: (.*))?\Z")
_SQ_KEY = re.compile(r"'((?:[^']|'')*)':(?: (.*))?\Z")
_DQ_KEY = re.compile(r'"((?:[^"\\]|\\.)*)":(?: (.*))?\Z')
_SQ_BODY = re.compile(r"((?:[^']|'')*)('?)")
_DQ_BODY = re.compile(r'((?:[^"\\]|\\.)*)(["\\]?)')
_LITERAL = re.compile(r"\|(?:([1-9])([-+]?)|([-+])([1-9])?)?\Z")
_ESCAPE = re.compile(r"\\(x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)")
_ESCAPES = {
    "0": "\x00",
    "a": "\x07",
    "b": "\x08",
    "t": "\t",
    "\t": "\t",
    "n": "\n",
    "v": "\x0b",
    "f": "\x0c",
    "r": "\r",
    "e": "\x1b",
    " ": " ",
    '"': '"',
    "/": "/",
    "\\": "\\",
    "N": "\x85",
    "_": "\xa0",
    "L": "\u2028",
    "P": "\u2029",
}
_MAX_DEPTH = 64  # incli writes five levels at most; deeper files go to PyYAML
_MAX_KEY = 1000  # libyaml forgets a possible key after 1024 characters
_MAX_DIGITS = 4000  # Python converts at most 4300 digits to an int by default
_SPACES = [" " * n for n in range(256)]


def _spaces(count: int) -> str:
    return _SPACES[count] if count < 256 else " " * count


class _Unsupported(Exception):
    pass


def load(data: bytes) -> dict[str, Any] | None:
    """The file's top-level mapping, or None when it is not in a shape incli writes."""
    if not data.endswith(_LAST_BREAKS) or data.translate(None, _ALLOWED_BYTES):
        return None
    if not data.isascii():
        if b"\xc2" in data and _C1_OR_NEL.search(data):
            return None
        if b"\xef" in data and any(bad in data for bad in _NONCHARACTERS):
            return None
    try:
        text = data.decode()
    except UnicodeDecodeError:
        return None
    terms: list[str] | None = None
    if "\u2028" in text or "\u2029" in text:
        parts = _LINE_BREAKS.split(text)
        lines = parts[0:-1:2]
        terms = parts[1::2]
    else:
        lines = text.split("\n")
        lines.pop()  # the empty string after the final newline
    reader = _Reader(lines, terms)
    try:
        match = _ENTRY.match(lines[0])
        result, end = reader.mapping(0, 0, 0, match if match is not None and match.end(1) == 0 else None)
        if end != len(lines) and not (end == len(lines) - 1 and lines[end] == "..."):
            raise _Unsupported
    except _Unsupported:
        return None
    return result


_MORE = object()  # not a scalar complete on its line: the general path reads it


def _one_line(text: str) -> Any:
    """The common scalars complete on their line, read in place: plain (typed as the loader
    types it), quoted without quotes or escapes inside, ``{}`` and ``[]``; else ``_MORE``.
    A plain one may still go on on the next line: the caller looks."""
    if not text:
        return _MORE
    first = text[0]
    if first == "'":
        if len(text) > 1 and text[-1] == "'":
            inner = text[1:-1]
            if "'" not in inner:
                return inner
        return _MORE
    if first in _NOT_PLAIN_FIRST or first in _MAYBE_INDICATOR:
        if text == "{}":
            return {}
        if text == "[]":
            return []
        if first == '"' and len(text) > 1 and text[-1] == '"':
            inner = text[1:-1]
            if '"' not in inner and "\\" not in inner:
                return inner
        return _MORE
    if ": " in text or " #" in text or text[-1] in ": " or text.startswith("..."):
        return _MORE
    if first in _TYPED_FIRST:
        return _resolve(text)
    return text


def _resolve(text: str) -> Any:
    """A plain scalar as the loader types it (bool, null, int, float, else text)."""
    if text[0] in _TYPED_FIRST:
        if text in _CONSTANTS:
            return _CONSTANTS[text]
        if _INT.match(text):
            if len(text) > _MAX_DIGITS:
                raise _Unsupported  # int() refuses it; PyYAML's error is its own
            return int(text)
        if _FLOAT.match(text):
            return float(text)
        if text in _SPECIAL_FLOATS:
            return _SPECIAL_FLOATS[text]
    return text


def _check_plain(text: str) -> None:
    """Refuse what is not one line of a plain scalar incli would write."""
    first = text[0]
    if (
        first in _NOT_PLAIN_FIRST
        or (first in "-?:" and (len(text) == 1 or text[1] == " "))
        or ": " in text
        or " #" in text
        or text[-1] in ": "
        or text.startswith(("---", "..."))
    ):
        raise _Unsupported


def _plain_key(text: str) -> str:
    """A key written plain: text only (a key the loader would type is left to PyYAML)."""
    if not text or len(text) > _MAX_KEY:
        raise _Unsupported
    _check_plain(text)
    if text[0] in _TYPED_FIRST and not isinstance(_resolve(text), str):
        raise _Unsupported
    return text


def _unescape_char(match: re.Match[str]) -> str:
    code = match.group(1)
    if len(code) == 1:
        if code not in _ESCAPES:
            raise _Unsupported
        return _ESCAPES[code]
    value = int(code[1:], 16)
    if 0xD800 <= value <= 0xDFFF or value > 0x10FFFF:
        raise _Unsupported
    return chr(value)


def _unescape(text: str) -> str:
    return _ESCAPE.sub(_unescape_char, text) if "\\" in text else text


def _key(text: str) -> tuple[str, str | None] | None:
    """(key, the value's text after ': ', None when the line ends at ':'), or None when
    ``text`` does not start with a key."""
    match = _SIMPLE_KEY.match(text)
    if match is not None:
        key = match.group(1)
        if key in _CONSTANTS:
            raise _Unsupported
        return key, match.group(2)
    first = text[:1]
    if first == "'":
        match = _SQ_KEY.match(text)
        if match is None:
            return None
        if match.end(1) > _MAX_KEY:
            raise _Unsupported
        return match.group(1).replace("''", "'"), match.group(2)
    if first == '"':
        match = _DQ_KEY.match(text)
        if match is None:
            return None
        if match.end(1) > _MAX_KEY:
            raise _Unsupported
        return _unescape(match.group(1)), match.group(2)
    at = text.find(": ")
    if at < 0:
        if not text.endswith(":"):
            return None
        return _plain_key(text[:-1]), None
    return _plain_key(text[:at]), text[at + 2 :]


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


class _Reader:
    __slots__ = ("count", "lines", "terms")

    def __init__(self, lines: list[str], terms: list[str] | None) -> None:
        self.lines = lines
        self.terms = terms
        self.count = len(lines)

    # -- collections ------------------------------------------------------------------

    def mapping(self, i: int, col: int, depth: int, match: re.Match[str] | None) -> tuple[dict[str, Any], int]:
        """The block mapping whose first key is at column ``col`` of line ``i`` (after ``- ``
        for a mapping inside a list item); ``match``: that line's ``_ENTRY`` match at ``col``
        when its key has the common spelling."""
        if depth > _MAX_DEPTH:
            raise _Unsupported
        lines = self.lines
        count = self.count
        entry = _ENTRY.match
        result: dict[str, Any] = {}
        text = "" if match is not None else lines[i][col:]
        start = 0  # pragma: no mutate (read only after a value read in place has set it)
        while True:
            value: Any
            fast = False  # read in place: a more indented next line means more to read
            if match is not None:  # the common spelling
                key, quoted, plain, rest = match.group(2, 3, 4, 5)
                if key in _CONSTANTS:
                    raise _Unsupported
                if quoted is not None:
                    value = quoted
                    fast = True
                    i += 1
                elif plain is not None:
                    value = _resolve(plain) if plain[0] in _TYPED_FIRST else plain
                    fast = True
                    i += 1
                elif rest is None:
                    value, i = self.below(i + 1, col, depth)
                else:
                    value = _one_line(rest)
                    if value is _MORE:
                        value, i = self.inline(i, rest, col)
                    else:
                        fast = True
                        i += 1
                start = match.end(2) + 2  # where the value starts on its line
            elif text[:2] == "? ":
                key, value, i = self.complex_entry(i, col, text, depth)
            else:
                found = _key(text)
                if found is None:
                    if col == 0 and text == "..." and result:
                        return result, i
                    raise _Unsupported
                key, rest = found
                if rest is None:
                    value, i = self.below(i + 1, col, depth)
                else:
                    value, i = self.inline(i, rest, col)
            if key in result:
                raise _Unsupported
            result[key] = value
            while True:
                if i >= count:
                    return result, i
                line = lines[i]
                match = entry(line)
                indent = _indent(line) if match is None else match.end(1)
                if indent <= col or not fast:
                    break
                # The value read in place goes on (a plain scalar folded over lines), or
                # something follows it that the general path refuses.
                value, i = self.inline(i - 1, lines[i - 1][start:], col)
                result[key] = value
                fast = False
            if indent != col:
                if indent < col:
                    return result, i
                raise _Unsupported
            if match is None:
                text = line[col:]

    def complex_entry(self, i: int, col: int, text: str, depth: int) -> tuple[str, Any, int]:
        """A key written ``? key`` (a long or multi-line key) on line ``i`` and below, then
        ``: value`` at the same column; (key, value, the line after them)."""
        key, i = self.node(i, col + 2, text[2:], col, depth)
        if not isinstance(key, str) or i >= self.count:
            raise _Unsupported
        line = self.lines[i]
        if line[col : col + 1] != ":" or _indent(line) != col:
            raise _Unsupported
        after = line[col + 1 :]
        if not after:
            value, i = self.below(i + 1, col, depth)
        elif after[0] == " ":
            value, i = self.node(i, col + 2, after[1:], col, depth)
        else:
            raise _Unsupported
        return key, value, i

    def sequence(self, i: int, col: int, depth: int) -> tuple[list[Any], int]:
        """The block list whose first item (``- ...`` or ``-``) is at column ``col`` of line ``i``."""
        if depth > _MAX_DEPTH:
            raise _Unsupported
        lines = self.lines
        count = self.count
        entry = _ENTRY.match
        items: list[Any] = []
        inner = col + 2
        dash = _spaces(col) + "- "
        alone = _spaces(col) + "-"
        margin = _spaces(col + 1)
        while True:
            line = lines[i]
            if len(line) == inner - 1:  # "-" alone
                value, i = self.below(i + 1, col, depth, False)
            else:
                match = entry(line, inner)
                if match is not None and match.end(1) == inner:  # - key: ...
                    value, i = self.mapping(i, inner, depth + 1, match)
                else:
                    text = line[inner:]
                    value = _one_line(text)
                    if value is _MORE or (i + 1 < count and lines[i + 1].startswith(margin)):
                        value, i = self.node(i, inner, text, col, depth)
                    else:
                        i += 1
            items.append(value)
            if i >= count:
                return items, i
            line = lines[i]
            if not line.startswith(dash) and line != alone:
                return items, i

    def node(self, i: int, col: int, text: str, parent: int, depth: int) -> tuple[Any, int]:
        """The value starting with ``text`` at column ``col`` of line ``i``, after ``- ``,
        ``? `` or ``: ``: a compact list or mapping, or a scalar."""
        if text[:2] == "- " or text == "-":
            return self.sequence(i, col, depth + 1)
        if text[:2] == "? " or _key(text) is not None:
            return self.mapping(i, col, depth + 1, None)
        return self.inline(i, text, parent)

    def below(self, i: int, col: int, depth: int, mapping_value: bool = True) -> tuple[Any, int]:
        """The value of ``key:`` (or ``-``) ending its line at column ``col``: a collection
        on the lines below, else null. A mapping's value may be a list at the key's column."""
        if i >= self.count:
            return None, i
        line = self.lines[i]
        match = _ENTRY.match(line)
        if match is not None:
            indent = match.end(1)
            if indent <= col:
                return None, i
            return self.mapping(i, indent, depth + 1, match)
        indent = _indent(line)
        if indent < col or (indent == col and not mapping_value):
            return None, i
        text = line[indent:]
        if text[:2] == "- " or text == "-":
            return self.sequence(i, indent, depth + 1)
        if indent == col:
            return None, i
        if text[:2] == "? " or _key(text) is not None:
            return self.mapping(i, indent, depth + 1, None)
        raise _Unsupported  # a scalar on the line below its key: never written so

    # -- scalars --------------------------------------------------------------------

    def inline(self, i: int, text: str, parent: int) -> tuple[Any, int]:
        """The scalar (or ``{}``/``[]``) starting with ``text`` on line ``i``, inside the
        collection at column ``parent``; (value, the line after it)."""
        first = text[:1]
        if first == "'":
            return self.quoted(i, text, parent, True)
        if first == '"':
            return self.quoted(i, text, parent, False)
        if first == "|":
            return self.literal(i, text, parent)
        if text == "{}":
            return {}, self.after_line(i, parent)
        if text == "[]":
            return [], self.after_line(i, parent)
        if not text:
            raise _Unsupported
        _check_plain(text)
        i += 1
        lines = self.lines
        margin = _spaces(parent + 1)
        if i >= self.count or not lines[i].startswith(margin):
            return _resolve(text), i
        parts = [text]
        terms = self.terms
        while i < self.count and lines[i].startswith(margin):
            line = lines[i].lstrip(" ")
            if not line or line[0] == "#" or (terms is not None and terms[i - 1] != "\n"):
                raise _Unsupported
            if ": " in line or " #" in line or line[-1] in ": ":
                raise _Unsupported
            parts.append(line)
            i += 1
        return _resolve(" ".join(parts)), i

    def after_line(self, i: int, parent: int) -> int:
        """The line after ``i``, refusing a continuation (more indented than ``parent``)."""
        i += 1
        if i < self.count and self.lines[i].startswith(_spaces(parent + 1)):
            raise _Unsupported
        return i

    def quoted(self, i: int, text: str, parent: int, single: bool) -> tuple[str, int]:
        """A single- or double-quoted scalar starting with ``text`` on line ``i``, folded
        over the lines below as the YAML spec (and libyaml) fold it."""
        body = _SQ_BODY if single else _DQ_BODY
        match = body.match(text, 1)
        assert match is not None  # both patterns match the empty string
        content, end = match.group(1), match.group(2)
        if end and end != "\\":
            if match.end() != len(text):
                raise _Unsupported  # something after the closing quote
            value = content.replace("''", "'") if single else _unescape(content)
            return value, self.after_line(i, parent)
        # Folded over lines.
        lines = self.lines
        terms = self.terms
        count = self.count
        margin = parent + 1
        pieces: list[str] = []
        escaped = end == "\\"
        pieces.append(content if escaped else _strip_end(content, single))
        while True:
            # a line break: the ones after it that are blank, then the next line's text
            leading = "\n" if terms is None else terms[i]
            i += 1
            blank: list[str] = []
            while True:
                if i >= count:
                    raise _Unsupported
                line = lines[i]
                stripped = line.lstrip(" ")
                if stripped:
                    break
                blank.append("\n" if terms is None else terms[i])
                i += 1
            if len(line) - len(stripped) < margin:
                raise _Unsupported
            if escaped:
                pieces.append("".join(blank))
            elif leading == "\n":
                pieces.append("".join(blank) if blank else " ")
            else:
                pieces.append(leading + "".join(blank))
            match = body.match(stripped)
            assert match is not None
            content, end = match.group(1), match.group(2)
            if end and end != "\\":
                if match.end() != len(stripped):
                    raise _Unsupported
                pieces.append(content)
                break
            escaped = end == "\\"
            pieces.append(content if escaped else _strip_end(content, single))
        joined = "".join(pieces)
        value = joined.replace("''", "'") if single else _unescape(joined)
        return value, self.after_line(i, parent)

    def literal(self, i: int, header: str, parent: int) -> tuple[str, int]:
        """A literal block (``|``, ``|-``, ``|+``, ``|2-``, ...) whose header is on line ``i``."""
        match = _LITERAL.match(header)
        if match is None:
            raise _Unsupported
        digit = match.group(1) or match.group(4)
        chomp = match.group(2) or match.group(3) or ""
        lines = self.lines
        count = self.count
        terms = self.terms
        i += 1
        start = i
        if digit:
            indent = parent + int(digit)
        else:
            while i < count and not lines[i]:
                i += 1
            if i >= count:
                raise _Unsupported
            indent = _indent(lines[i])
            if indent <= parent or indent == len(lines[i]):
                raise _Unsupported  # an empty block, or a first line of spaces only
            i = start
        margin = _spaces(indent)
        body: list[str] = []
        last = -1  # index in body of the last line with text
        while i < count:
            line = lines[i]
            if line.startswith(margin):
                if len(line) > indent:
                    last = len(body)
                    body.append(line[indent:])
                else:
                    body.append("")
            elif not line.strip(" "):
                body.append("")
            else:
                break
            i += 1
        if terms is None:
            if last < 0:
                value = "\n" * len(body) if chomp == "+" else ""
            elif chomp == "-":
                value = "\n".join(body[: last + 1])
            elif chomp == "+":
                value = "\n".join(body) + "\n"
            else:
                value = "\n".join(body[: last + 1]) + "\n"
        else:
            ends = terms[start : start + len(body)]
            if last < 0:
                value = "".join(ends) if chomp == "+" else ""
            else:
                stop = len(body) if chomp == "+" else last + 1
                pairs = zip(
                    body[:stop],
                    ends[:stop],
                    strict=True,  # pragma: no mutate (lengths equal)
                )
                value = "".join(line + end for line, end in pairs)
                if chomp == "-":
                    value = value[: -len(ends[last])]
        return value, i


def _strip_end(content: str, single: bool) -> str:
    """A quoted scalar's line before a line break, without the spaces the break folds away
    (an escaped space, ``\\ ``, stays)."""
    stripped = content.rstrip(" ")
    if not single and stripped.endswith("\\"):  # (a backslash that ends the line is the caller's)
        backslashes = len(stripped) - len(stripped.rstrip("\\"))
        if backslashes % 2:
            stripped += " "
    return stripped
