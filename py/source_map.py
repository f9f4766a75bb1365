"""Where things are in microgpt.py, found by parsing it, and in-place edits of its hyperparameters.

Every line number the app shows comes from here, computed from the text it is given, so that a
user's edits (a comment added at the top, a new helper function) move the ranges with the code.
Nothing here matches fixed line numbers or whole lines of text: names come from `ast` nodes,
and comments (which `ast` drops) come from `tokenize`.

Conventions: line numbers are 1-based, ranges are inclusive `[start, end]`, columns are 0-based
character offsets into the line (so the browser can index the line string with them directly).
Runs the same under CPython 3.11 and Pyodide's Python 3.14; stdlib only.
"""

import ast
import io
import re
import tokenize

import loop_phases as _loop_phases
from model_map import _anchors, _mentions, _start, _state_dict

# Assignments whose literal the app can show and edit. `seed` is different: it is the
# argument of the `random.seed(...)` call.
HYPERPARAMS = ("n_embd", "n_head", "n_layer", "block_size", "learning_rate", "beta1", "beta2",
               "eps_adam", "num_steps", "temperature")
EDITABLE = HYPERPARAMS + ("seed",)

# "# Name: explanation" -- the comment shape that opens a section (column 0) or a phase of the
# training loop (at the loop body's indentation). A short name, then a colon and a space, so
# that a comment like "# see http://..." or "# 1) Multi-head attention: ..." does not qualify.
_NAMED_COMMENT = re.compile(r"#\s*([A-Za-z][A-Za-z0-9 _\-]{0,39}?)\s*:(?:\s+|$)(.*)$")


# --- text helpers -----------------------------------------------------------------------------

def _normalize(text):
    # ast and tokenize end lines at \n, \r\n and \r alike; with only \n left, str.split("\n")
    # gives exactly their lines (str.splitlines would also split at \f and friends).
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _lines(text):
    return _normalize(text).split("\n")


def _char_col(line, byte_col):
    # ast's col_offset counts UTF-8 bytes; the browser indexes characters
    return len(line.encode("utf-8")[:byte_col].decode("utf-8", errors="replace"))


def _range(node):
    return [_start(node), node.end_lineno]


def _trim_blank_tail(lines, start, end):
    # a section or phase ends before the blank lines that separate it from the next one
    while end > start and not lines[end - 1].strip():
        end -= 1
    return [start, end]


def _standalone_comments(text, lines):
    """(line, column, comment text) of every comment that sits on a line of its own."""
    found = []
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type == tokenize.COMMENT:
            row, col = tok.start
            if not lines[row - 1][:col].strip():
                found.append((row, col, tok.string))
    return found


def _between(statements, row):
    # True if a comment line lies between (not inside) the given statements; a comment inside
    # a statement (a def body, a bracketed expression) belongs to that statement instead
    return not any(_start(s) < row < s.end_lineno for s in statements)


def _named_ranges(lines, openers, last_line):
    """Ranges from each opener's line to the line before the next opener (blank tail trimmed).

    openers: sorted (line, name, title) triples. Returns [(name, title, [start, end])].
    """
    out = []
    for i, (row, name, title) in enumerate(openers):
        stop = openers[i + 1][0] - 1 if i + 1 < len(openers) else last_line
        out.append((name, title, _trim_blank_tail(lines, row, stop)))
    return out


# --- sections and defs --------------------------------------------------------------------------

def _sections(tree, lines, comments):
    openers = []
    for row, col, comment in comments:
        match = _NAMED_COMMENT.match(comment)
        if col == 0 and match and _between(tree.body, row):
            openers.append((row, match.group(1), comment[1:].strip()))
    last = len(lines)
    return [{"name": name, "title": title, "lines": span}
            for name, title, span in _named_ranges(lines, openers, last)]


def _defs(tree):
    defs = {}

    def visit(statements, prefix):
        for node in statements:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = prefix + node.name
                defs[name] = _range(node)   # a later definition replaces an earlier one, as in Python
                visit(node.body, name + ".")
    visit(tree.body, "")

    # `matrix = lambda nout, nin: ...` is a function too, as far as a reader is concerned
    for node in tree.body:
        if (isinstance(node, ast.Assign) and isinstance(node.value, ast.Lambda)
                and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)):
            defs[node.targets[0].id] = _range(node)
    return defs


def _names(tree):
    """Where each top-level name is first assigned (`head_dim`, `params`, ...)."""
    names = {}
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else []
        for target in targets:
            for name in ast.walk(target):
                if isinstance(name, ast.Name):
                    names.setdefault(name.id, _range(node))
    return names


# --- hyperparameters ----------------------------------------------------------------------------

def _literal_number(node):
    """The value of a number literal (or minus one), else None. True/False are not numbers."""
    negate = isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub)
    inner = node.operand if negate else node
    if (isinstance(inner, ast.Constant) and isinstance(inner.value, (int, float))
            and not isinstance(inner.value, bool)):
        return -inner.value if negate else inner.value
    return None


def _literal_info(node, lines):
    value = _literal_number(node)
    if value is None or node.lineno != node.end_lineno:
        return None
    line = lines[node.lineno - 1]
    col, end_col = _char_col(line, node.col_offset), _char_col(line, node.end_col_offset)
    return {"line": node.lineno, "col": col, "end_col": end_col, "value": value,
            "text": line[col:end_col]}


def _assigned_pairs(target, value):
    """(name, value node or None) for each name bound by `target = value`.

    Tuple assignment pairs names with elements; a name whose value cannot be paired with one
    expression (e.g. `a, b = f()`) gets None, so it no longer counts as a literal.
    """
    if isinstance(target, ast.Name):
        return [(target.id, value)]
    if isinstance(target, (ast.Tuple, ast.List)):
        if (isinstance(value, (ast.Tuple, ast.List)) and len(value.elts) == len(target.elts)
                and not any(isinstance(e, ast.Starred) for e in target.elts + value.elts)):
            return [pair for t, v in zip(target.elts, value.elts) for pair in _assigned_pairs(t, v)]
        return [(n.id, None) for n in ast.walk(target) if isinstance(n, ast.Name)]
    return []


def _is_random_seed(node):
    return (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Attribute) and node.value.func.attr == "seed"
            and isinstance(node.value.func.value, ast.Name) and node.value.func.value.id == "random"
            and node.value.args)


def _hyperparams(tree, lines):
    # The last top-level binding wins, since that is the value the program goes on to use.
    found = {}
    for node in tree.body:
        pairs = []
        if isinstance(node, ast.Assign):
            pairs = [p for target in node.targets for p in _assigned_pairs(target, node.value)]
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            pairs = _assigned_pairs(node.target, node.value)
        elif _is_random_seed(node):
            pairs = [("seed", node.value.args[0])]
        for name, value in pairs:
            if name in EDITABLE:
                found[name] = _literal_info(value, lines) if value is not None else None
    return {name: info for name, info in found.items() if info is not None}


def _format_number(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"a hyperparameter must be an int or a float, not {value!r}")
    if isinstance(value, int):
        return str(value)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"{value!r} is not a finite number")
    # repr keeps 0.01 short; only its exponent padding goes ('1e-08' -> '1e-8', same float)
    return re.sub(r"e([+-])0+(\d)", r"e\1\2", repr(value))


def set_values(text, values):
    """Rewrite the literal of each named hyperparameter (or `seed`) in place.

    Everything else on the line (spacing, comments) stays byte-identical, and so do line
    endings. A literal whose value is unchanged keeps its spelling (1e-8 stays 1e-8).
    Raises KeyError for a name that is not an editable literal in `text`.
    """
    tree = ast.parse(text, "microgpt.py")
    found = _hyperparams(tree, _lines(text))
    for name in values:
        if name not in found:
            raise KeyError(name)

    # split keeping each line's own ending, so "\r\n" files stay "\r\n"
    parts = re.split(r"(\r\n|\r|\n)", text)
    rows, endings = parts[0::2], parts[1::2] + [""]
    edits = {}
    for name, value in values.items():
        info = found[name]
        new_text = _format_number(value)
        if type(value) is type(info["value"]) and value == info["value"]:
            continue
        edits.setdefault(info["line"], []).append((info["col"], info["end_col"], new_text))
    for row, row_edits in edits.items():
        line = rows[row - 1]
        for col, end_col, new_text in sorted(row_edits, reverse=True):  # right to left
            line = line[:col] + new_text + line[end_col:]
        rows[row - 1] = line
    return "".join(row + ending for row, ending in zip(rows, endings))


# --- the training loop --------------------------------------------------------------------------

def training_loop(tree):
    """The first top-level `for` whose iterable mentions num_steps, or None."""
    for node in tree.body:
        if isinstance(node, ast.For) and _mentions(node.iter, "num_steps"):
            return node
    return None


def _comment_name(comment):
    match = _NAMED_COMMENT.match(comment)
    return match.group(1) if match else None


def loop_phases(tree, loop, lines):
    """[{name, job, lines, statements}] of the loop body, recognised by what its statements do
    (see loop_phases.py); a "# Name: ..." comment opening a block names its phase."""
    return _loop_phases.phases(tree, loop, lines, _comment_name)


def _loop(tree, lines):
    loop = training_loop(tree)
    if loop is None:
        return None
    header_end = loop.iter.end_lineno
    body_end = loop.body[-1].end_lineno
    body_start = next((row for row in range(header_end + 1, body_end + 1)
                       if lines[row - 1].strip()), loop.body[0].lineno)
    return {"line": loop.lineno, "body": [body_start, body_end],
            "phases": [{"name": p["name"], "job": p["job"], "lines": p["lines"]}
                       for p in loop_phases(tree, loop, lines) if p["name"]]}


# --- the whole map ------------------------------------------------------------------------------

def parse(text):
    """(tree, lines, standalone comments) of a source; raises SyntaxError if it does not parse."""
    text = _normalize(text)
    tree = ast.parse(text, "microgpt.py")
    lines = text.split("\n")
    return tree, lines, _standalone_comments(text, lines)


def source_map(text):
    """The JSON-able map of `text` (see the module docstring). Raises SyntaxError."""
    tree, lines, comments = parse(text)
    return {
        "sections": _sections(tree, lines, comments),
        "defs": _defs(tree),
        "names": _names(tree),
        "hyperparams": _hyperparams(tree, lines),
        "loop": _loop(tree, lines),
        "state_dict": _state_dict(tree),
        "anchors": _anchors(tree),
    }
