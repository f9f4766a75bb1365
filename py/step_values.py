"""What the code pane's Step through shows of a value, and which names each line mentions.

Plain JSON-able summaries: a number as a number, a Value as its .data, a short flat list of them
as a list, anything longer as its shape and first few entries. Used by py/step_trace.py.
"""
import io
import keyword
import tokenize

import source_map

MAX_LIST = 32       # a flat list of up to this many numbers is kept whole
FEW = 6             # entries kept of anything longer


def _builtin_names():
    import builtins
    return set(dir(builtins))


_SKIP_NAMES = set(keyword.kwlist) | _builtin_names()


def names_by_line(source):
    """{line: [names read or bound on it]}, from tokenize: attribute names (after a dot),
    keywords and builtins left out, first appearance first."""
    found = {}
    previous = None
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source_map._normalize(source)).readline):
            if tok.type == tokenize.NAME and tok.string not in _SKIP_NAMES and previous != '.':
                names = found.setdefault(tok.start[0], [])
                if tok.string not in names:
                    names.append(tok.string)
            if tok.type not in (tokenize.NL, tokenize.COMMENT):
                previous = tok.string
    except (tokenize.TokenError, SyntaxError):
        pass
    return found


class Summary:
    """Plain JSON-able summaries of values, counting the numbers kept."""

    def __init__(self, value_cls):
        self.value_cls = value_cls
        self.numbers = 0

    def _number(self, x):
        if isinstance(x, bool):
            return None
        if isinstance(x, (int, float)):
            return x if isinstance(x, int) and abs(x) < 2 ** 53 else float(x)
        if isinstance(x, self.value_cls):
            data = getattr(x, 'data', None)
            return float(data) if isinstance(data, (int, float)) and not isinstance(data, bool) else None
        return None

    def of(self, value):
        """A number, a list of numbers, {shape, first, count}, {text}, or None (not shown)."""
        number = self._number(value)
        if number is not None:
            self.numbers += 1
            return number
        if isinstance(value, bool):
            return {'text': str(value)}
        if isinstance(value, str):
            return {'text': repr(value) if len(value) <= 40 else repr(value[:37]) + '…'}
        if isinstance(value, (list, tuple)):
            return self._sequence(value)
        if isinstance(value, dict):
            return {'text': f'a dict of {len(value)} entries'}
        if isinstance(value, (set, frozenset)):
            return {'text': f'a set of {len(value)}'}
        return None

    def _sequence(self, value):
        shape, first = [len(value)], value
        while first and isinstance(first[0], (list, tuple)) and len(shape) < 4:
            first = first[0]
            shape.append(len(first))
        if len(shape) == 1 and len(value) <= MAX_LIST:
            numbers = [self._number(x) for x in value]
            if all(n is not None for n in numbers):
                self.numbers += len(numbers)
                return numbers
        leaves = []
        for x in _leaves(value, FEW):
            n = self._number(x)
            if n is None:
                return {'shape': shape, 'of': type(x).__name__}
            leaves.append(n)
        self.numbers += len(leaves)
        count = 1
        for size in shape:
            count *= size
        return {'shape': shape, 'first': leaves, 'count': count}


def _leaves(value, limit):
    """The first `limit` non-list entries of a nested list, depth first."""
    out, stack = [], [iter(value)]
    while stack and len(out) < limit:
        for x in stack[-1]:
            if isinstance(x, (list, tuple)):
                stack.append(iter(x))
            else:
                out.append(x)
            break
        else:
            stack.pop()
    return out
