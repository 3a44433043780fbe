"""A small YAML writer for the Flow documents built from Jina objects.

Every string is written double-quoted with escapes, so no text can change the document's shape
or be read back as another type, and each top-level entry's lines are recorded, so that an error
the binary reports at a line can be traced back to the Python call that set it.
"""

from __future__ import annotations

import math
from typing import Any, Optional

# Characters written as escapes inside double quotes: what YAML 1.1 (PyYAML, which Jina reads
# Flows with) does not take raw, line breaks it would fold (NEL, U+2028, U+2029), the BOM, and
# surrogates (which only a broken str holds; the binary then refuses them, located).
_NAMED = {
    "\\": "\\\\",
    '"': '\\"',
    "\0": "\\0",
    "\a": "\\a",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\v": "\\v",
    "\f": "\\f",
    "\r": "\\r",
    "\x1b": "\\e",
}


def _printable(c: str) -> bool:
    o = ord(c)
    return (
        0x20 <= o <= 0x7E
        or 0xA0 <= o <= 0xD7FF
        or (0xE000 <= o <= 0xFFFD and o != 0xFEFF)
        or 0x10000 <= o <= 0x10FFFF
    ) and c not in "\u2028\u2029"


def quote(text: str) -> str:
    """`text` as a YAML double-quoted scalar that reads back exactly."""
    out = ['"']
    for c in text:
        if c in _NAMED:
            out.append(_NAMED[c])
        elif _printable(c):
            out.append(c)
        elif ord(c) <= 0xFF:
            out.append(f"\\x{ord(c):02X}")
        elif ord(c) <= 0xFFFF:
            out.append(f"\\u{ord(c):04X}")
        else:
            out.append(f"\\U{ord(c):08X}")
    out.append('"')
    return "".join(out)


def scalar(value: Any) -> str:
    """A scalar as YAML: `null`, `true`/`false`, a number, or a quoted string."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        return repr(value)
    return quote(str(value))


def _lines(value: Any, indent: str) -> list[str]:
    """`value` as the lines that follow a `key:` (or `- `) at `indent`."""
    if isinstance(value, dict) and value:
        out = []
        for k, v in value.items():
            out.extend(_entry(quote(k), v, indent))
        return out
    if isinstance(value, list) and value:
        out = []
        for item in value:
            rest = _lines(item, indent + "  ")
            if isinstance(item, (dict, list)) and item:
                # The first line of a nested block goes after the dash.
                out.append(indent + "- " + rest[0][len(indent) + 2 :])
                out.extend(rest[1:])
            else:
                out.append(indent + "- " + rest[0].strip())
        return out
    if isinstance(value, dict):
        return [indent + "{}"]
    if isinstance(value, list):
        return [indent + "[]"]
    return [indent + scalar(value)]


def _entry(key: str, value: Any, indent: str) -> list[str]:
    if isinstance(value, (dict, list)) and value:
        return [f"{indent}{key}:"] + _lines(value, indent + "  ")
    return [f"{indent}{key}: {_lines(value, '')[0]}"]


# (call, keyword argument, executor name or None): `("Flow.add(name='enc')", "uses", "enc")`.
Where = tuple[str, str, Optional[str]]


class Document:
    """A YAML document written line by line, remembering where each entry came from."""

    def __init__(self, owner: str) -> None:
        self.owner = owner  # the object, for what is about no entry of it: "Flow()"
        self.lines: list[str] = []
        # (first line, last line, where): 1-based and inclusive, as the binary counts.
        self.spans: list[tuple[int, int, Where]] = []

    def entry(self, key: str, value: Any, indent: str = "", where: Where | None = None) -> None:
        """Writes `key: value`; `where` names the Python call and argument it came from."""
        first = len(self.lines) + 1
        self.lines.extend(_entry(key, value, indent))
        if where is not None:
            self.spans.append((first, len(self.lines), where))

    def raw(self, line: str, where: Where | None = None) -> None:
        self.lines.append(line)
        if where is not None:
            self.spans.append((len(self.lines), len(self.lines), where))

    def where(self, line: int | None) -> Where | None:
        """The innermost recorded entry holding `line`."""
        found = None
        for first, last, where in self.spans:
            inside = line is not None and first <= line <= last
            if inside and (found is None or first >= found[0]):
                found = (first, where)
        return found[1] if found else None

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def plain_key(key: Any) -> str:
    """A mapping key as `json.dumps` (which Jina passes dicts through) writes it."""
    if key is True:
        return "true"
    if key is False:
        return "false"
    if key is None:
        return "null"
    if isinstance(key, float):
        return repr(key)
    return str(key)
