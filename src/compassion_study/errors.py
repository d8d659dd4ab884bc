"""The one exception type for bad input.

Stages collect every problem they find (file › sheet › cell, or file, line)
and raise one :class:`InputError`; the command line prints it as one message
and exits non-zero, never with a traceback.
"""

from __future__ import annotations

from collections.abc import Iterable


class InputError(Exception):
    """Input the package cannot use, with every problem found.

    Parameters
    ----------
    problems : str or iterable of str
        One line per problem, each starting with where it is, e.g.
        ``"alice.xlsx › Coding › F12: mark 'maybe' is not a documented mark"``.
    summary : str, optional
        A first line saying what was being done.
    """

    def __init__(self, problems: str | Iterable[str], summary: str | None = None):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        if not self.problems:
            raise ValueError("InputError needs at least one problem")
        self.summary = summary
        super().__init__(self.message)

    @property
    def message(self) -> str:
        if len(self.problems) == 1 and not self.summary:
            return self.problems[0]
        head = self.summary or f"{len(self.problems)} problems"
        return head + "\n" + "\n".join(f"  - {p}" for p in self.problems)


def where(*parts: object) -> str:
    """Join a location as ``file › sheet › cell`` (empty parts skipped)."""
    return " › ".join(str(p) for p in parts if p not in (None, ""))
