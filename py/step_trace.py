"""One forward pass, or one backward(), of the run's microgpt.py recorded line by line.

The code pane's "Step through" mode plays this recording back. sys.settrace is on only while the
recorded pass runs (never during training): forward() runs the run's own gpt() for the positions
before the chosen one untraced (to fill the KV cache, as training does), then the chosen position
traced. backward() runs the training loop's own statements up to `loss.backward()` on one name,
in a copy of the run's globals, then that statement traced; the parameters' grads are put back
afterwards, so training goes on exactly as before.

Recorded: microgpt.py's own functions (gpt, linear, softmax, rmsnorm, Value.backward, ...), not
the one-line Value operators nor comprehensions, which run by the thousand. Each event is a line
about to run and, read once it has run, the names on it: numbers as numbers, a Value as its
.data, a short list of them as a list, a longer one as its shape and first few entries.

Bounded: at most MAX_PER_LINE passes through one line are kept (later ones are counted in the
next kept event's "gap"), at most MAX_EVENTS events, at most MAX_NUMBERS numbers; the reply says
what was cut. Nothing here computes the model; it only copies numbers microgpt.py made.
"""
import ast
import contextlib
import io
import random
import sys
import time

import forward_trace
import source_map
from step_values import Summary, names_by_line

MAX_EVENTS = 3000
MAX_PER_LINE = 60
MAX_NAMES = 8
MAX_NUMBERS = 100_000


class _Tracer:
    """Records the lines of `roots` and of the functions they call (see the module doc)."""

    def __init__(self, roots, value_cls, names, where=None):
        self.roots = roots
        self.filename = next(iter(roots)).co_filename
        self.value_prefix = getattr(value_cls, '__qualname__', 'Value') + '.'
        self.names = names
        self.where = where              # fn(frame at depth 0) -> extra fields, e.g. layer and head
        self.summary = Summary(value_cls)
        self.events = []
        self.depths = {}                # frame -> depth below the root
        self.pending = {}               # frame -> (index of its event being run, its line)
        self.per_line = {}
        self.gap = self.skipped = 0
        self.cut = None                 # why recording stopped early, if it did
        self.exact = True               # False when switched-off lines were not counted
        self.values_cut = False

    def _wanted(self, code):
        if code in self.roots:
            return True
        if code.co_filename != self.filename or code.co_name.startswith('<'):
            return False
        # Value's one-line operators run by the thousand; its backward() and the functions nested
        # in it (the original's recursive build_topo) are what a learner steps into
        qualname = getattr(code, 'co_qualname', code.co_name)
        backward = self.value_prefix + 'backward'
        return (not qualname.startswith(self.value_prefix) or qualname == backward
                or qualname.startswith(backward + '.'))

    # --- the events, whichever Python API delivers them ---------------------------------------

    def _start(self, frame):
        """A call of a wanted function: True if its lines are to be recorded."""
        if self.cut:
            return False
        parent = frame.f_back
        while parent is not None and parent not in self.depths:
            parent = parent.f_back
        if parent is None and frame.f_code not in self.roots:
            return False
        self.depths[frame] = 0 if parent is None else self.depths[parent] + 1
        return True

    def _line(self, frame, line):
        """A line about to run. False once that line has been kept MAX_PER_LINE times."""
        pending = self.pending.get(frame)
        if pending is not None and pending[1] == line:
            return True                 # a loop going round within one line
        if pending is not None:
            self._finish(frame)
        count = self.per_line.get(line, 0) + 1
        self.per_line[line] = count
        if count > MAX_PER_LINE:
            self.gap += 1
            self.skipped += 1
            return False
        if len(self.events) >= MAX_EVENTS:
            self.cut = f'stopped after {MAX_EVENTS:,} lines'
            return False
        depth = self.depths.get(frame, 0)
        event = {'line': line, 'depth': depth, 'fn': frame.f_code.co_name}
        if self.gap:
            event['gap'], self.gap = self.gap, 0
        if self.where is not None:
            event.update(self.where(frame, depth))
        self.pending[frame] = (len(self.events), line)
        self.events.append(event)
        return True

    def _return(self, frame, value):
        self._finish(frame, value)
        self.depths.pop(frame, None)

    # --- sys.settrace ----------------------------------------------------------------------

    def global_trace(self, frame, event, arg):
        if not self._wanted(frame.f_code) or not self._start(frame):
            return None
        return self.local_trace

    def local_trace(self, frame, event, arg):
        if self.cut:
            return None
        if event == 'line':
            self._line(frame, frame.f_lineno)
        elif event == 'return':
            self._return(frame, arg)
        return self.local_trace

    def _finish(self, frame, returned=None):
        pending = self.pending.pop(frame, None)
        if pending is None:
            return
        event = self.events[pending[0]]
        if self.summary.numbers > MAX_NUMBERS:
            self.values_cut = True
            return
        f_locals, f_globals = frame.f_locals, frame.f_globals
        values = []
        for name in self.names.get(pending[1], ()):
            if name in f_locals:
                value = f_locals[name]
            elif name in f_globals:
                value = f_globals[name]
            else:
                continue
            shown = self.summary.of(value)
            if shown is not None:
                values.append([name, shown])
                if len(values) >= MAX_NAMES:
                    break
        if returned is not None:
            shown = self.summary.of(returned)
            if shown is not None:
                values.append(['returns', shown])
        event['values'] = values


def _codes(g, roots, tracer):
    """The code objects worth recording: the roots, and microgpt.py's functions and methods,
    with the functions defined inside them (their code objects are constants of the outer one)."""
    codes = set()
    found = list(roots)
    for value in list(g.values()):
        members = vars(value).values() if isinstance(value, type) else [value]
        found += [m.__code__ for m in members if getattr(m, '__code__', None) is not None]
    while found:
        code = found.pop()
        if code not in codes and tracer._wanted(code):
            codes.add(code)
            found += [c for c in code.co_consts if isinstance(c, type(code))]
    return codes


@contextlib.contextmanager
def _tracing(tracer, g):
    """Recording on for the duration: sys.monitoring where Python has it (3.12+: only the wanted
    functions report, and a line kept often enough is switched off), else sys.settrace."""
    mon = getattr(sys, 'monitoring', None)
    tool = None
    if mon is not None:
        for candidate in (3, 4):
            if mon.get_tool(candidate) is None:
                tool = candidate
                break
    tracer.exact = tool is None
    if tool is None:
        previous = sys.gettrace()
        sys.settrace(tracer.global_trace)
        try:
            yield
        finally:
            sys.settrace(previous)
        return
    events = mon.events
    mon.use_tool_id(tool, 'microgpt-viz step through')
    codes = _codes(g, tracer.roots, tracer)

    def on_start(code, offset):
        frame = sys._getframe(1)
        if not tracer._start(frame):
            return mon.DISABLE if tracer.cut else None

    def on_line(code, line):
        if not tracer._line(sys._getframe(1), line):
            return mon.DISABLE

    def on_return(code, offset, value):
        frame = sys._getframe(1)
        if frame in tracer.depths:
            tracer._return(frame, value)

    mon.register_callback(tool, events.PY_START, on_start)
    mon.register_callback(tool, events.LINE, on_line)
    mon.register_callback(tool, events.PY_RETURN, on_return)
    try:
        for code in codes:
            mon.set_local_events(tool, code, events.PY_START | events.LINE | events.PY_RETURN)
        yield
    finally:
        for code in codes:
            mon.set_local_events(tool, code, 0)
        for event in (events.PY_START, events.LINE, events.PY_RETURN):
            mon.register_callback(tool, event, None)
        mon.free_tool_id(tool)
        mon.restart_events()


def _reply(tracer, what, began, **extra):
    notes = []
    if tracer.skipped:
        count = f'{tracer.skipped:,} more' if tracer.exact else 'Later'
        notes.append(f'{count} passes through lines already kept {MAX_PER_LINE} times ran but were not kept')
    if not tracer.exact:
        for event in tracer.events:
            if 'gap' in event:
                event['gap'] = True
    if tracer.cut:
        notes.append(f'the recording {tracer.cut}; the pass itself ran to its end')
    if tracer.values_cut:
        notes.append(f'values are kept for the first {MAX_NUMBERS:,} numbers only')
    return {'what': what, 'events': tracer.events, 'cut': bool(tracer.cut or tracer.values_cut),
            'skipped': tracer.skipped, 'notes': notes, 'ms': (time.perf_counter() - began) * 1000,
            'limits': {'events': MAX_EVENTS, 'per_line': MAX_PER_LINE}, **extra}


_cache = {}


def _parsed(source):
    """(anchors, names by line, gpt's loop names) of a source; the last one is remembered."""
    if source not in _cache:
        _cache.clear()
        _cache[source] = (source_map.source_map(source)['anchors'], names_by_line(source),
                          forward_trace._loop_targets(source))
    return _cache[source]


def forward(g, source, text='emma', pos=0):
    """The lines gpt() runs for position `pos` of `text` (earlier positions run untraced)."""
    began = time.perf_counter()
    text, tokens = forward_trace._tokens(g, text)
    n = min(g['block_size'], len(tokens) - 1)
    pos = max(0, min(int(pos), n - 1))
    gpt, n_layer = g['gpt'], g['n_layer']
    anchors, names, (layer_name, head_name) = _parsed(source)
    root = gpt.__code__
    state = {'line': None}

    def where(frame, depth):
        # the diagram block of the line gpt() itself is on (a called function's lines belong to it)
        if depth == 0:
            state['line'] = frame.f_lineno
            state['locals'] = frame.f_locals
        line = state['line']
        block = forward_trace._block_of(line, anchors) if line else None
        heads = anchors.get('attention_heads')
        in_heads = heads is not None and line is not None and heads[0] <= line <= heads[1]
        if in_heads and block is None:
            block = 'head_out'
        if block is None:
            return {}
        f_locals = state.get('locals') or {}
        layer, head = f_locals.get(layer_name), f_locals.get(head_name) if in_heads else None
        out = {'block': block}
        if isinstance(layer, int) and block not in forward_trace._OUTSIDE_LAYERS:
            out['layer'] = layer
        if isinstance(head, int):
            out['head'] = head
        return out

    tracer = _Tracer({root}, g['Value'], names, where)
    keys, values = [[] for _ in range(n_layer)], [[] for _ in range(n_layer)]
    for p in range(pos):
        gpt(tokens[p], p, keys, values)
    with _tracing(tracer, g):
        gpt(tokens[pos], pos, keys, values)
    return _reply(tracer, 'forward', began, text=text, pos=pos, positions=n,
                  char=forward_trace._label(g, tokens[pos]), source=source)


def _backward_statement(source):
    """(statements before it, the statement, the expression backward() is called on) in the
    training loop's body, found with ast; and the loop's target name."""
    tree = ast.parse(source_map._normalize(source), 'microgpt.py')
    loop = source_map.training_loop(tree)
    if loop is None:
        raise forward_trace.ForwardError('This microgpt.py has no training loop, so there is no backward() to record.')
    for i, stmt in enumerate(loop.body):
        for node in ast.walk(stmt):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == 'backward'):
                target = loop.target.id if isinstance(loop.target, ast.Name) else None
                return loop.body[:i], stmt, node.func.value, target
    raise forward_trace.ForwardError('The training loop of this microgpt.py calls no backward().')


def _leaves_of(root):
    nodes = [n for n in _walk(root) if not getattr(n, '_children', None)]
    return [(n, n.grad) for n in nodes]


def _walk(root):
    import release
    return release._walk(root)


def backward(g, source, text='emma'):
    """The lines of one backward() of the loss of `text`, as the training loop computes it."""
    began = time.perf_counter()
    text, _ = forward_trace._tokens(g, text)
    before, stmt, on, target = _backward_statement(source)
    filename = g['gpt'].__code__.co_filename if 'gpt' in g else 'microgpt.py'
    scratch = dict(g)
    scratch['docs'] = [text]
    if target:
        scratch[target] = 0
    rng = random.getstate()
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(ast.Module(body=before, type_ignores=[]), filename, 'exec'), scratch)
        root = eval(compile(ast.Expression(on), filename, 'eval'), scratch)
        saved = _leaves_of(root)
        code = compile(ast.Module(body=[stmt], type_ignores=[]), filename, 'exec')
        tracer = _Tracer({code}, g['Value'], _parsed(source)[1])
        try:
            with _tracing(tracer, g):
                exec(code, scratch)
        finally:
            for node, grad in saved:   # the run's parameters get their grads back
                node.grad = grad
        nodes = len(_walk(root))
        import release
        release.take_apart(root)       # deep graphs are freed level by level (see release.py)
    finally:
        random.setstate(rng)
    return _reply(tracer, 'backward', began, text=text, nodes=nodes, source=source)


def record(g, source, what='forward', text='emma', pos=0):
    """The inspection: what='forward' (position `pos` of `text`) or 'backward' (of its loss)."""
    if what == 'backward':
        return backward(g, source, text)
    return forward(g, source, text, pos)
