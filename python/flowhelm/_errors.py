"""`FlowError` and `FlowWarning`: what the binary reports, with the place it is about."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from collections.abc import Sequence
    from typing import Any


class _Located:
    """The parts of one diagnostic; `str()` is the one-line form the command line prints."""

    severity = "error"

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        causes: Sequence[str] = (),
        origin: str | None = None,
        file: str | None = None,
        line: int | None = None,
        column: int | None = None,
        executor: str | None = None,
        argument: str | None = None,
        document: str | None = None,
    ) -> None:
        #: What is wrong, without place or hint.
        self.message = message
        #: What to do about it, when flowhelm can say.
        self.hint = hint
        #: The causes behind it (an I/O error, a template engine's), nearest first; each is
        #: printed on a ``caused by:`` line.
        self.causes = list(causes)
        #: What it is about: the Flow file's path, ``<string>`` for YAML text, the Jina call
        #: (``Flow.add(name='encoder', uses=...)``), a parameter of this API (``name``,
        #: ``chart_version``), an environment variable, or ``None``.
        self.origin = origin
        #: The file the line and column are in: the path given, ``<string>`` for YAML text;
        #: ``None`` for a Jina object, whose line and column are in :attr:`document`.
        self.file = file
        #: 1-based line and column, when the diagnostic points into the Flow.
        self.line = line
        self.column = column
        #: For a Jina object: the executor (the ``name`` of its ``.add()``), and the keyword
        #: argument the diagnostic is about.
        self.executor = executor
        self.argument = argument
        #: For a Jina object: the Flow YAML flowhelm built from it.
        self.document = document

    def _render(self) -> str:
        place = ""
        if self.origin is not None:
            place = self.origin
            if self.file is not None and self.line is not None:
                place += f":{self.line}:{self.column}"
            place += ": "
        text = f"{place}{self.severity}: {self.message}"
        for cause in self.causes:
            text += f"\n  caused by: {cause}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class FlowError(_Located, Exception):
    """A Flow flowhelm refuses, or a chart it cannot write.

    ``str(error)`` is the message the ``flowhelm`` command prints (``FILE:LINE:COL: error:
    WHAT``, ``caused by:`` lines and a ``hint:`` line); the parts are attributes:
    :attr:`message`, :attr:`causes`, :attr:`hint`, :attr:`origin`, :attr:`file`, :attr:`line`,
    :attr:`column`, and for a Jina object :attr:`executor`, :attr:`argument` and
    :attr:`document`. :attr:`kind` is ``"input"`` when
    the Flow or an argument is wrong (the command's exit status 2), ``"internal"`` otherwise.
    """

    def __init__(self, message: str, *, kind: str = "input", **parts: Any) -> None:
        _Located.__init__(self, message, **parts)
        Exception.__init__(self, message)
        self.kind = kind

    def __str__(self) -> str:
        return self._render()


class FlowWarning(_Located, UserWarning):
    """Something flowhelm accepts but that has no effect on Kubernetes, or deserves a look.
    Issued through :mod:`warnings`; it has the attributes :class:`FlowError` has."""

    severity = "warning"

    def __init__(self, message: str, **parts: Any) -> None:
        _Located.__init__(self, message, **parts)
        UserWarning.__init__(self, message)

    def __str__(self) -> str:
        return self._render()
