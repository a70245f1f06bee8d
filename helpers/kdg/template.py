"""Parse a KDG record template once, check every placeholder, keep the result for fast rendering.

What KDG does with the text of the "Record template" box (``producer.js`` and
faker.js's ``fake()``), and what we do:

1. Trim the template, remove every line break, replace the *first*
   ``{{current.timestamp}}`` by ``{{date.now}}`` -- the same here. (A browser
   turns ``\\r\\n`` and ``\\r`` into ``\\n`` before KDG sees them; we remove all three.)
2. Find the first ``{{`` and the first ``}}``; the text between is
   ``module.method`` or ``module.method(ARG)``. ARG is the text matched by
   ``\\(([^)]+)\\)`` -- so it cannot contain ``)`` -- parsed as JSON, or kept as
   raw text when it is not JSON; it is the method's only argument.
3. Replace that placeholder by the method's value and start again from the
   top of the *whole* string, until no ``{{``…``}}`` pair is left.

Step 3 re-reads generated values: a value containing ``{{x.y}}`` would be
expanded, one containing ``}}`` would derail later placeholders. KDG's own
values never contain braces; only data you write into an argument could
(``random.arrayElement(["{{"])``). We expand each placeholder exactly once, in
a single pass at compile time, and refuse argument data containing ``{{`` or
``}}``, so the two engines cannot silently differ. No recursion, no loops.

Values are inserted verbatim. (KDG inserts them with JavaScript's
``String.replace``, which would also interpret ``$&`` or ``$$`` inside a value;
no KDG helper produces those.)

Everything KDG would only discover while sending -- or never, rendering
``NaN`` or ``undefined`` instead -- is a ``TemplateError`` here, raised by
``compile_template`` and naming the line and column in *your* text (before
line breaks are removed) and the placeholder: unknown modules and methods,
unclosed ``{{``, a stray ``}}`` before a placeholder, an empty template, and
arguments a method cannot use. Arguments that KDG ignores (``{{random.uuid(5)}}``)
are accepted and listed in ``CompiledTemplate.warnings``.
"""

from __future__ import annotations

import bisect
import difflib
import random
import re
from dataclasses import dataclass, field

from ..errors import KitError
from .providers import REGISTRY, Arg, ArgumentError, Context, lookup

__all__ = ["CompiledTemplate", "Placeholder", "TemplateError", "compile_template"]

# JavaScript's String.prototype.trim() removes these (white space and line terminators).
_JS_WHITESPACE = "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a" \
                 "\u2028\u2029\u202f\u205f\u3000\ufeff"
_ARGUMENT = re.compile(r"\(([^)]+)\)")  # KDG's regular expression for the argument
_NAME = re.compile(r"^[A-Za-z_$][\w$]*$", re.ASCII)
_TIMESTAMP = "current.timestamp"


class TemplateError(KitError):
    """A template KDG would reject or mis-render; the message says where and why, in one sentence."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None,
                 placeholder: str | None = None):
        super().__init__(message)
        self.line = line
        self.column = column
        self.placeholder = placeholder


@dataclass(frozen=True)
class Placeholder:
    """One ``{{module.method(ARG)}}`` of a template."""

    text: str  # as it stands in the template after line breaks are removed
    module: str
    method: str
    arg: Arg
    line: int  # where its "{{" is in the original text, from 1
    column: int

    @property
    def name(self) -> str:
        return f"{self.module}.{self.method}"


@dataclass(frozen=True)
class CompiledTemplate:
    """A checked template: literal text and placeholders in order. Render it with ``Generator``."""

    source: str  # the text as given
    text: str  # after trimming, removing line breaks and replacing {{current.timestamp}}
    parts: tuple[str | Placeholder, ...]  # literal strings and placeholders, alternating as they occur
    warnings: tuple[str, ...] = field(default=())

    @property
    def placeholders(self) -> tuple[Placeholder, ...]:
        return tuple(part for part in self.parts if isinstance(part, Placeholder))

    def __repr__(self) -> str:
        return f"<CompiledTemplate: {len(self.placeholders)} placeholders, {len(self.text)} characters>"


class _Locator:
    """Maps positions in the cleaned text back to line:column of the original text."""

    def __init__(self, source: str, origins: list[int]):
        self.origins = origins
        # Offsets where lines start; "\r\n" is one line break, as are "\n" and "\r".
        self.line_starts = [0] + [m.end() for m in re.finditer(r"\r\n|\r|\n", source)]

    def line_column(self, cleaned_index: int) -> tuple[int, int]:
        offset = self.origins[min(cleaned_index, len(self.origins) - 1)] if self.origins else 0
        line = bisect.bisect_right(self.line_starts, offset)
        return line, offset - self.line_starts[line - 1] + 1


def _clean(source: str) -> tuple[str, list[int]]:
    """KDG's getCleanedTemplate (trim, drop line breaks), remembering each kept character's origin."""
    start = len(source) - len(source.lstrip(_JS_WHITESPACE))
    end = len(source.rstrip(_JS_WHITESPACE))
    kept = [i for i in range(start, end) if source[i] not in "\r\n"]
    return "".join(source[i] for i in kept), kept


def _quote(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _suggest(word: str, choices) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]}?" if close else ""


class _Compiler:
    """One compilation: walks the cleaned text, collects parts, raises TemplateError at the first problem."""

    def __init__(self, source: str):
        if not isinstance(source, str):
            raise TemplateError(f"A template is text, not {type(source).__name__}; load a file with load_template().")
        self.source = source
        self.text, origins = _clean(source)
        self.locator = _Locator(source, origins)
        self.warnings: list[str] = []
        self.timestamp_replaced = False
        # Arguments are checked by binding each method once against a throwaway context.
        self.check_context = Context(random.Random(0), warn=self.warnings.append)

    def error(self, index: int, problem: str, placeholder: str | None = None) -> TemplateError:
        line, column = self.locator.line_column(index)
        shown = f" {_quote(placeholder)}" if placeholder else ""
        return TemplateError(f"Template line {line}, column {column}{shown}: {problem}.", line, column, placeholder)

    def compile(self) -> CompiledTemplate:
        if not self.text:
            raise TemplateError("The template is empty: write the record to generate, with {{placeholders}} for the values.")
        parts: list[str | Placeholder] = []
        text, pos = self.text, 0
        while True:
            start = text.find("{{", pos)
            stray = text.find("}}", pos, start if start != -1 else len(text))
            if start == -1:
                # A "}}" after the last placeholder is harmless text (e.g. the end of nested JSON objects).
                parts.append(text[pos:])
                break
            if stray != -1:
                raise self.error(stray, "this '}}' closes no placeholder and a placeholder follows it, so KDG would "
                                        "pair the next '{{' with it; put a space between the braces ('} }')")
            end = text.find("}}", start + 2)
            if end == -1:
                raise self.error(start, "this '{{' is never closed with '}}'", _quote(text[start:start + 40]))
            nested = text.find("{{", start + 2, end)
            if nested != -1:
                raise self.error(start, "this '{{' is not closed before the next '{{' opens",
                                 text[start:end + 2])
            parts.append(text[pos:start])
            parts.append(self.placeholder(start, text[start:end + 2]))
            pos = end + 2
        literal_or_placeholder = tuple(part for part in parts if part != "")
        return CompiledTemplate(self.source, self.text, literal_or_placeholder, tuple(self.warnings))

    def placeholder(self, index: int, text: str) -> Placeholder:
        token = text[2:-2]
        if token == _TIMESTAMP and not self.timestamp_replaced:
            # producer.js replaces the first {{current.timestamp}} by {{date.now}} (an old KDG syntax).
            self.timestamp_replaced = True
            token = "date.now"
        module, method, arg = self.split(index, token, text)
        line, column = self.locator.line_column(index)
        self.check(index, module, method, arg, text)
        return Placeholder(text, module, method, arg, line, column)

    def split(self, index: int, token: str, text: str) -> tuple[str, str, Arg]:
        """module, method and argument of a token, as KDG reads them -- or a TemplateError saying why not."""
        match = _ARGUMENT.search(token)
        name, arg = token, Arg()
        if match:
            rest = token[match.end():]
            if rest.strip():
                raise self.error(index, "unexpected text after the argument's ')' -- an argument cannot contain ')' "
                                        "in KDG, which ends it at the first ')'", text)
            if rest:
                raise self.error(index, "spaces after the argument: KDG reads them as part of the method name "
                                        "(Invalid method)", text)
            name, arg = token[:match.start()], Arg.parse(match.group(1))
        elif "()" in token:
            raise self.error(index, f"empty parentheses: write {{{{{token.replace('()', '')}}}}} (KDG reads "
                                    f"'{token}' as a method name and fails)", text)
        elif "(" in token:
            raise self.error(index, "'(' without a closing ')' -- note that an argument cannot contain '}}' either: "
                                    "KDG ends a placeholder at the first '}}'", text)
        if name != name.strip():
            raise self.error(index, "spaces around the name: KDG reads them as part of it (Invalid module); "
                                    f"write {{{{{name.strip()}…}}}}", text)
        if name == "current.timestamp":
            raise self.error(index, "KDG replaces only the first {{current.timestamp}} (by {{date.now}}) and rejects "
                                    "the others (Invalid module: current); write {{date.now}} here", text)
        pieces = name.split(".")
        if len(pieces) != 2 or not all(_NAME.match(piece) for piece in pieces):
            hint = " (a '{' before '{{'?)" if name.startswith("{") else ""
            raise self.error(index, f"'{name}' is not a module.method name like random.number{hint}", text)
        return pieces[0], pieces[1], arg

    def check(self, index: int, module: str, method: str, arg: Arg, text: str) -> None:
        if module not in REGISTRY:
            raise self.error(index, f"unknown module '{module}' (KDG: Invalid module: {module}){_suggest(module, REGISTRY)}"
                                    f" -- modules are {', '.join(sorted(REGISTRY))}", text)
        entry = lookup(module, method)
        if entry is None:
            close = _suggest(method, REGISTRY[module]).replace("did you mean ", f"did you mean {module}.")
            raise self.error(index, f"unknown method '{module}.{method}' (KDG: Invalid method: {module}.{method})"
                                    f"{close} -- {module} has {', '.join(sorted(REGISTRY[module]))}", text)
        before = len(self.warnings)
        try:
            entry.bind(self.check_context, arg)
        except ArgumentError as exc:
            raise self.error(index, str(exc), text) from None
        line, column = self.locator.line_column(index)
        self.warnings[before:] = [f"line {line}, column {column}: {w}" for w in self.warnings[before:]]


def compile_template(text: str) -> CompiledTemplate:
    """Parse and check a KDG template once; raise TemplateError naming the line, column and placeholder."""
    if isinstance(text, CompiledTemplate):
        return text  # already compiled: nothing to do
    return _Compiler(text).compile()
