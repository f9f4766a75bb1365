"""Small, readable computation graphs built by microgpt.py's own autograd.

Each slice calls microgpt.py's own functions (rmsnorm, linear, softmax, gpt) and its own Value
class, in the run's globals, on the model's current numbers. The leaves are fresh Values holding
copies of the parameters' (or activations') .data, so calling backward() on a slice never touches
the model's own gradients.

Op names: microgpt's Value does not store which operation made it. While a slice is built, the
Value class's operator methods are wrapped (see _recording) so each new Value is tagged with the
primitive that made it (+, *, **, log, exp, relu) and, if any, the method that called it (a - b
is `a + (-b)`, and -b is `b * -1`). The wrappers call the original methods and change no number;
they are removed again before anything else runs. A Value made some other way (an edited
microgpt.py) gets its op inferred from its children and local gradients instead.

Backward, step by step: the root's own backward() gives the final grads. The replay orders the
nodes with the same depth-first rule as Value.backward (an explicit stack, children in order,
a node appended once all its children are done), then applies the same update,
`child.grad += local_grad * node.grad`, node by node in reversed order, recording each change.
The replay's final grads are checked to equal backward()'s (`replay_matches`).
"""
import contextlib
import math

PRIMITIVES = {'__add__': '+', '__mul__': '*', '__pow__': '**', 'log': 'log', 'exp': 'exp', 'relu': 'relu'}
COMPOUNDS = {'__neg__': 'neg', '__radd__': '+', '__sub__': '-', '__rsub__': '-', '__rmul__': '*',
             '__truediv__': '/', '__rtruediv__': '/'}

SLICES = {
    'rmsnorm': 'rmsnorm() of the first {size} numbers of wte[{char!r}], the embedding of {char!r}. '
               'The {size} outputs are added up so there is one number to differentiate.',
    'neuron': 'One neuron of {name}: row {row}, but only its first {size} weights and inputs (the '
              'real input to the MLP at position {pos} of {doc!r}), then relu() ** 2. Row {row} is '
              'the first whose short dot product is positive, so relu passes it on.',
    'loss': 'The loss at position {pos} of {doc!r}: -log(probability of {target!r}), with softmax() '
            'over only {size} of the {vocab} logits: the target\'s and the largest others.',
}


@contextlib.contextmanager
def _recording(Value):
    """Tag every Value made inside the block: id -> (op, via, k). Keeps them alive meanwhile."""
    tags, keep, stack = {}, [], []
    originals = {name: Value.__dict__[name] for name in list(PRIMITIVES) + list(COMPOUNDS)
                 if name in Value.__dict__}

    def primitive(name, fn):
        def wrapped(self, *args):
            out = fn(self, *args)
            if isinstance(out, Value):
                keep.append(out)
                k = args[0] if name == '__pow__' and args else None
                tags[id(out)] = (PRIMITIVES[name], stack[0] if stack else None, k)
            return out
        return wrapped

    def compound(name, fn):
        def wrapped(self, *args):
            stack.append(COMPOUNDS[name])
            try:
                return fn(self, *args)
            finally:
                stack.pop()
        return wrapped

    try:
        for name, fn in originals.items():
            setattr(Value, name, primitive(name, fn) if name in PRIMITIVES else compound(name, fn))
        yield tags
    finally:
        for name, fn in originals.items():
            setattr(Value, name, fn)


def _close(a, b):
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-300)


def _infer_op(node):
    """The op of a Value from its children and local grads (for Values made untagged)."""
    kids, lg = node._children, node._local_grads
    try:
        if len(kids) == 2:
            if lg[0] == 1 and lg[1] == 1 and _close(node.data, kids[0].data + kids[1].data):
                return '+'
            if _close(lg[0], kids[1].data) and _close(lg[1], kids[0].data):
                return '*'
        if len(kids) == 1:
            x = kids[0].data
            if lg[0] in (0, 1, 0.0, 1.0) and node.data == max(0, x):
                return 'relu'
            if _close(node.data, math.exp(x)) and _close(lg[0], node.data):
                return 'exp'
            if x > 0 and _close(node.data, math.log(x)) and _close(lg[0], 1 / x):
                return 'log'
            return '**'
    except (TypeError, ValueError, OverflowError, ZeroDivisionError):
        pass
    return '?'


def topo_order(root):
    """The order Value.backward builds, by the same rule: depth-first, explicit stack."""
    topo, visited, stack = [], {root}, [(root, iter(root._children))]
    while stack:
        node, children = stack[-1]
        child = next((c for c in children if c not in visited), None)
        if child is None:
            topo.append(node)
            stack.pop()
        else:
            visited.add(child)
            stack.append((child, iter(child._children)))
    return topo


def _num(x):
    return float(x) if isinstance(x, (int, float)) and not isinstance(x, bool) else None


def describe(root, tags, labels, leaves=()):
    """Nodes, edges and the replayed backward pass of the graph under root (after backward()).

    tags: id -> (op, via, k) from _recording; labels: id -> name; leaves: ids of the inputs."""
    leaves_in_order, leaves = list(leaves), set(leaves)
    topo = topo_order(root)
    index = {id(n): i for i, n in enumerate(topo)}
    depth = {}
    for n in topo:   # children come first, so their depth is known
        depth[id(n)] = 1 + max((depth[id(c)] for c in n._children), default=-1)
    nodes = []
    for i, n in enumerate(topo):
        if n._children:
            op, via, k = tags.get(id(n), (_infer_op(n), None, None))
            if op == '**' and k is None and len(n._children) == 1:
                k = _pow_exponent(n)
        else:
            op, via, k = ('leaf' if id(n) in leaves else 'const'), None, None
        node = {'id': i, 'op': op, 'data': _num(n.data), 'grad': _num(n.grad), 'depth': depth[id(n)]}
        if via and via != op:
            node['via'] = via
        if k is not None:
            node['k'] = _num(k)
        if id(n) in labels:
            node['label'] = labels[id(n)]
        nodes.append(node)
    edges = [{'from': index[id(c)], 'to': i, 'arg': j, 'local_grad': _num(lg)}
             for i, n in enumerate(topo) for j, (c, lg) in enumerate(zip(n._children, n._local_grads))]

    # the replay: microgpt.py's chain rule, one node at a time, from the root back
    grads = [0] * len(topo)
    grads[index[id(root)]] = 1
    steps = []
    for n in reversed(topo):
        i = index[id(n)]
        changes = []
        for c, lg in zip(n._children, n._local_grads):
            j = index[id(c)]
            before = grads[j]
            grads[j] += lg * grads[i]
            changes.append({'id': j, 'from': _num(before), 'to': _num(grads[j]), 'local_grad': _num(lg)})
        if changes:
            steps.append({'node': i, 'grad': _num(grads[i]), 'changes': changes})
    matches = all(grads[i] == n.grad for i, n in enumerate(topo))
    return {'nodes': nodes, 'edges': edges, 'order': list(range(len(topo))),
            'inputs': [index[i] for i in leaves_in_order if i in index],
            'steps': steps, 'replay_matches': matches, 'root': index[id(root)]}


def _pow_exponent(n):
    # y = x ** k with local grad k * x ** (k - 1) = k * y / x
    x = n._children[0].data
    try:
        return n._local_grads[0] * x / n.data
    except (TypeError, ZeroDivisionError):
        return None


# --- the real numbers a slice starts from -------------------------------------------------------

def _doc_tokens(g, doc=None):
    uchars, BOS = g['uchars'], g['BOS']
    if doc is None:
        doc = g.get('doc') if isinstance(g.get('doc'), str) else g['docs'][0]
    doc = ''.join(ch for ch in doc if ch in uchars) or g['docs'][0]
    return doc, [BOS] + [uchars.index(ch) for ch in doc] + [BOS]


def _forward(g, tokens, pos, layer_key):
    """gpt() over tokens[0..pos]; the logits at pos and the input `linear` got for layer_key there."""
    gpt, state_dict = g['gpt'], g['state_dict']
    n_layer = g['n_layer']
    keys, values = [[] for _ in range(n_layer)], [[] for _ in range(n_layer)]
    seen = {}
    original = g['linear']

    def spy(x, w):   # gpt looks `linear` up in the globals at call time
        if layer_key in state_dict and w is state_dict[layer_key]:
            seen['x'] = x
        return original(x, w)

    g['linear'] = spy
    try:
        for p in range(pos + 1):
            logits = gpt(tokens[p], p, keys, values)
    finally:
        g['linear'] = original
    return logits, seen.get('x')


def _leaves(Value, numbers, names, labels, info):
    out = []
    for x, name in zip(numbers, names):
        v = Value(x)
        labels[id(v)] = name
        info['leaves'].append(id(v))
        out.append(v)
    return out


def _build(g, slice, size, doc, pos, char):
    Value = g['Value']
    labels = {}
    info = {'slice': slice, 'size': size, 'leaves': []}
    if slice == 'rmsnorm':
        uchars = g['uchars']
        if char is None or char not in uchars:
            doc_text, _ = _doc_tokens(g, doc)
            char = doc_text[0]
        row = g['state_dict']['wte'][uchars.index(char)]
        size = min(size, len(row))
        x = _leaves(Value, [p.data for p in row[:size]], [f'wte[{char!r}][{i}]' for i in range(size)], labels, info)
        info.update(char=char, size=size)
        with _recording(Value) as tags:
            y = g['rmsnorm'](x)
            root = sum(y)
        labels.update({id(v): f'y[{i}]' for i, v in enumerate(y)})
        labels[id(root)] = 'sum of y'
        return root, tags, labels, info
    doc_text, tokens = _doc_tokens(g, doc)
    pos = max(0, min(pos, len(tokens) - 2))
    info.update(doc=doc_text, pos=pos)
    if slice == 'neuron':
        name = 'layer0.mlp_fc1'
        _, xin = _forward(g, tokens, pos, name)
        w = g['state_dict'][name]
        size = min(size, len(xin))
        xs = [v.data for v in xin[:size]]
        row = next((r for r in range(len(w)) if sum(w[r][i].data * xs[i] for i in range(size)) > 0), 0)
        info.update(name=name, row=row, size=size)
        wl = _leaves(Value, [p.data for p in w[row][:size]], [f'w[{row}][{i}]' for i in range(size)], labels, info)
        xl = _leaves(Value, xs, [f'x[{i}]' for i in range(size)], labels, info)
        with _recording(Value) as tags:
            h = g['linear'](xl, [wl])[0]
            root = h.relu() ** 2
        labels.update({id(h): 'dot product', id(root): 'relu(h) ** 2'})
        return root, tags, labels, info
    if slice == 'loss':
        logits, _ = _forward(g, tokens, pos, None)
        target = tokens[pos + 1]
        others = sorted((t for t in range(len(logits)) if t != target), key=lambda t: -logits[t].data)
        chosen = sorted([target] + others[:size - 1])
        names = [g['uchars'][t] if t < len(g['uchars']) else 'BOS' for t in chosen]
        info.update(target=names[chosen.index(target)], vocab=len(logits), size=len(chosen))
        ls = _leaves(Value, [logits[t].data for t in chosen], [f'logit[{n!r}]' if n != 'BOS' else 'logit[BOS]' for n in names], labels, info)
        with _recording(Value) as tags:
            probs = g['softmax'](ls)
            root = -probs[chosen.index(target)].log()
        labels.update({id(probs[chosen.index(target)]): f'p[{names[chosen.index(target)]!r}]', id(root): 'loss'})
        return root, tags, labels, info
    raise KeyError(f'unknown slice {slice!r}; one of {", ".join(SLICES)}')


def graph(g, source, slice='rmsnorm', size=None, doc=None, pos=1, char=None):
    """A small graph built by microgpt.py's own Value, with backward() run on it."""
    if 'Value' not in g or 'state_dict' not in g:
        raise RuntimeError('there is no model yet: press Train first')
    size = size or {'rmsnorm': 4, 'neuron': 6, 'loss': 5}.get(slice, 4)
    root, tags, labels, info = _build(g, slice, size, doc, pos, char)
    root.backward()   # microgpt.py's own backward, on fresh leaves: the model's grads stay as they are
    result = describe(root, tags, labels, info.pop('leaves'))
    result.update(info)
    result['description'] = SLICES[slice].format(**info)
    counts = {}
    for n in result['nodes']:
        counts[n['op']] = counts.get(n['op'], 0) + 1
    result['op_counts'] = counts
    result['ops'] = value_ops(g, source)
    result['backward_parts'] = backward_parts(source)
    step = g.get('step')
    result['step'] = step + 1 if isinstance(step, int) else 0
    return result


def value_ops(g, source):
    """The Value operations table: one row per method of microgpt.py's Value class, with where it is."""
    import source_map
    defs = source_map.source_map(source)['defs']
    Value = g.get('Value')
    rows = []
    for method, op in list(PRIMITIVES.items()) + list(COMPOUNDS.items()) + [('backward', 'backward')]:
        key = f'Value.{method}'
        if key in defs and (Value is None or hasattr(Value, method)):
            rows.append({'op': op, 'method': method, 'def': key, 'lines': defs[key],
                         'primitive': method in PRIMITIVES})
    return rows


def backward_parts(source):
    """Where, inside Value.backward, the order is built, the root's grad is set to 1, and the chain
    rule runs: {part: [first, last]} as offsets from the def's first line (so the page adds them
    to source_map's defs['Value.backward'][0] and they follow the code). {} if not found."""
    import ast
    import model_map
    import source_map
    tree = ast.parse(source_map._normalize(source))
    cls = next((n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == 'Value'), None)
    fn = next((n for n in (cls.body if cls else []) if isinstance(n, ast.FunctionDef) and n.name == 'backward'), None)
    if fn is None:
        return {}
    start = model_map._start(fn)
    body = fn.body
    seed = next((i for i, s in enumerate(body) if isinstance(s, ast.Assign) and any(
        isinstance(t, ast.Attribute) and t.attr == 'grad' for t in s.targets)), None)
    if seed is None:
        return {}
    parts = {'seed': [body[seed].lineno - start, body[seed].end_lineno - start]}
    if seed > 0:
        parts['order'] = [body[0].lineno - start, body[seed - 1].end_lineno - start]
    if seed + 1 < len(body):
        parts['chain'] = [body[seed + 1].lineno - start, body[-1].end_lineno - start]
    return parts
