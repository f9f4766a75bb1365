"""Syntax-highlighting tokens of a Python source, per line, as plain data.

The page renders these itself (no HTML strings cross the worker boundary), using pygments' own
short CSS class names ('k', 'nf', 's1', 'c1', 'mi', 'o', ...; '' for plain text), so any
pygments style sheet applies. The only module of the bridge that needs pygments; bridge.py
imports it lazily so a run never waits for pygments to load.
"""

from pygments.lexers.python import PythonLexer
from pygments.token import STANDARD_TYPES

# stripnl would drop leading blank lines and shift every line number; ensurenl adds a final
# newline when the source lacks one, which tokens() cuts off again.
_LEXER = PythonLexer(stripnl=False, stripall=False, ensurenl=True, tabsize=0)


def _css_class(ttype):
    # token types without a class of their own (e.g. a lexer-specific subtype) use their parent's
    while ttype not in STANDARD_TYPES:
        ttype = ttype.parent
    return STANDARD_TYPES[ttype]


def tokens(text):
    """[[[css_class, text], ...] for each line]; the texts of line i join to line i exactly.

    Lines end at \\n, \\r\\n or \\r, as Python counts them; a final newline does not open a
    further line. Adjacent pieces of the same class on a line are merged.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    count = text.count("\n") + (0 if text.endswith("\n") or not text else 1)
    lines = [[]]
    if text.startswith("\ufeff"):  # pygments drops a byte order mark; keep the line exact
        lines[0].append(["", "\ufeff"])
    for ttype, value in _LEXER.get_tokens(text):
        css = _css_class(ttype)
        for i, piece in enumerate(value.split("\n")):
            if i:
                lines.append([])   # a token that spans lines (a docstring) is split per line
            if not piece:
                continue
            line = lines[-1]
            if line and line[-1][0] == css:
                line[-1][1] += piece
            else:
                line.append([css, piece])
    return lines[:count]
