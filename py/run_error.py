"""A Python error in microgpt.py, told in the file's own terms: its message, a traceback of
microgpt.py's frames only (with the lines of the source that ran), the line to show, and whether
it is a number blowing up (a sign of a too-high learning rate) rather than a bug."""
import traceback

FILENAME = "microgpt.py"


class RunError(Exception):
    """An error in microgpt.py's code, reported in its own terms.

    message: "TypeError: ..." (for SystemExit: its message); traceback: formatted like Python's,
    listing only microgpt.py frames; line: the last microgpt.py line involved, or None;
    lines: what was printed by the failed call before the error.
    """

    def __init__(self, message, traceback_text="", line=None, lines=(), numeric=False):
        super().__init__(message)
        self.message = message
        self.traceback = traceback_text
        self.line = line
        self.lines = list(lines)
        self.numeric = numeric   # the numbers left what a float can hold (e.g. log(0), exp overflow)


def from_exception(exc, source_lines, fallback_line=None):
    """A RunError for `exc`; source_lines: the text that ran, split into lines."""
    frames = []
    tb = exc.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        if code.co_filename == FILENAME and tb.tb_lineno is not None:
            frames.append((tb.tb_lineno, code.co_name))
        tb = tb.tb_next

    # Source lines come from this run's source, not linecache, which could read some other
    # microgpt.py from the current directory.
    text = []
    if frames:
        text.append("Traceback (most recent call last):\n")
    for lineno, name in frames:
        text.append(f'  File "{FILENAME}", line {lineno}, in {name}\n')
        if 0 < lineno <= len(source_lines) and source_lines[lineno - 1].strip():
            text.append(f"    {source_lines[lineno - 1].strip()}\n")
    text.extend(_format_exception_only(exc))

    if isinstance(exc, SystemExit):
        message = "SystemExit" if exc.code is None else str(exc.code)
    elif isinstance(exc, SyntaxError):
        message = f"{type(exc).__name__}: {exc.msg}"
    else:
        detail = _safe_str(exc)
        message = f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
    if isinstance(exc, SyntaxError) and exc.filename == FILENAME and exc.lineno:
        line = exc.lineno
    else:
        line = frames[-1][0] if frames else fallback_line
    return RunError(message, "".join(text), line, numeric=_numbers_blew_up(exc))


def _numbers_blew_up(exc):
    """True only for what a math function raises when a float leaves its range: math.exp
    overflowing ("math range error"), a float's ** overflowing, math.log(0) ("math domain error" before Python 3.14,
    "expected a positive input" after). A 1 / 0 or an OverflowError of a too-large list is a
    bug of the code, told by its own type and message."""
    detail = _safe_str(exc)
    if isinstance(exc, OverflowError):
        return detail == "math range error" or "Numerical result out of range" in detail
    return isinstance(exc, ValueError) and detail.startswith(
        ("math domain error", "expected a positive input", "expected a nonnegative input"))


def _format_exception_only(exc):
    try:
        return traceback.format_exception_only(type(exc), exc)
    except Exception:   # a user exception whose __str__ fails
        return [f"{type(exc).__name__}: <unprintable>\n"]


def _safe_str(exc):
    try:
        return str(exc)
    except Exception:
        return "<unprintable>"
