"""Statistics of every matrix in the run's state_dict, for the parameter cards.

Numbers are read from microgpt.py's own parameters (their .data); gradient norms are taken by
remember_grad_norms(g), which the runner calls right after each step's Backward phase, while
the grads from loss.backward() are still there (Adam sets them to zero right after).
The initial std of each matrix is read from the source: the `std=` of its `matrix(...)` call,
or else the default of `matrix`'s own std parameter.
"""
import ast
import math

import model_map
import source_map

# From the last remember_grad_norms(): which state_dict (by id), at which step, the norms.
_last = {'state_dict': None, 'step': None, 'norms': {}}


def remember_grad_norms(g):
    """Store the norm of each matrix's gradient (sqrt of the sum of p.grad ** 2), and return
    them ({name: norm}, or None without a state_dict). Plain loops."""
    state_dict = g.get('state_dict')
    if not isinstance(state_dict, dict):
        return None
    norms = {}
    for name, mat in state_dict.items():
        total = 0.0
        for row in mat:
            for p in row:
                gr = p.grad
                total += gr * gr
        norms[name] = math.sqrt(total)
    step = g.get('step')
    _last.update(state_dict=id(state_dict), step=step + 1 if isinstance(step, int) else None, norms=norms)
    return norms


def forget():
    _last.update(state_dict=None, step=None, norms={})


# --- init std, from the source ---------------------------------------------------------------

def _number(node):
    try:
        value = ast.literal_eval(node)
    except (ValueError, SyntaxError, TypeError):
        return None
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _std_param(tree, fname='matrix'):
    """(position of the std parameter, its default) of `matrix`, a lambda or a def."""
    for node in tree.body:
        args = None
        if (isinstance(node, ast.Assign) and isinstance(node.value, ast.Lambda)
                and any(isinstance(t, ast.Name) and t.id == fname for t in node.targets)):
            args = node.value.args
        elif isinstance(node, ast.FunctionDef) and node.name == fname:
            args = node.args
        if args is not None:
            names = [a.arg for a in args.args]
            if 'std' not in names:
                return None, None
            at = names.index('std')
            first_default = len(names) - len(args.defaults)
            default = _number(args.defaults[at - first_default]) if at >= first_default else None
            return at, default
    return None, None


def _call_std(call, at, default):
    for kw in call.keywords:
        if kw.arg == 'std':
            return _number(kw.value)
    if at is not None and len(call.args) > at:
        return _number(call.args[at])
    return default


_init_cache = {}


def init_stds(source):
    """[(key pattern parts, std)] for every state_dict entry made by a `matrix(...)` call."""
    if source not in _init_cache:
        _init_cache.clear()   # one source at a time
        _init_cache[source] = _init_stds(source)
    return _init_cache[source]


def _init_stds(source):
    tree = ast.parse(source_map._normalize(source))
    at, default = _std_param(tree)
    found = []

    def note(key, value):
        parts = model_map._key_parts(key) if key is not None else None
        if parts is not None and isinstance(value, ast.Call) and isinstance(value.func, ast.Name) \
                and value.func.id == 'matrix':
            found.append((parts, _call_std(value, at, default)))

    for node in model_map._walk_module_level(tree.body):
        if isinstance(node, ast.Assign):
            if isinstance(node.value, ast.Dict) and any(isinstance(t, ast.Name) and t.id == 'state_dict'
                                                        for t in node.targets):
                for key, value in zip(node.value.keys, node.value.values):
                    note(key, value)
            for t in node.targets:
                key = model_map._state_dict_key(t)
                if key is not None:
                    note(key, node.value)
    return found


def _init_std_of(name, found):
    std = None
    for parts, value in found:   # the last matching assignment wins, as when the code runs
        if model_map._keys_match(parts, (name,)):
            std = value
    return std


# --- the statistics -----------------------------------------------------------------------------

def matrix_stats(values, bins):
    n = len(values)
    if n == 0:
        return {'count': 0, 'mean': None, 'std': None, 'min': None, 'max': None, 'histogram': [0] * bins}
    mean = sum(values) / n
    std = math.sqrt(sum((x - mean) ** 2 for x in values) / n)
    lo, hi = min(values), max(values)
    hist = [0] * bins
    width = (hi - lo) / bins
    for x in values:
        i = int((x - lo) / width) if width > 0 else bins // 2
        hist[min(max(i, 0), bins - 1)] += 1
    return {'count': n, 'mean': mean, 'std': std, 'min': lo, 'max': hi, 'histogram': hist}


def param_stats(g, source, bins=16):
    """{name: {shape, count, mean, std, min, max, histogram, grad_norm, grad_step, init_std}}
    in state_dict order. The histogram has `bins` equal bins from min to max; grad_norm is from
    the backward() of step grad_step (1-based; both None before the first step)."""
    state_dict = g.get('state_dict')
    if not isinstance(state_dict, dict):
        raise RuntimeError('there is no model yet: press Train first')
    bins = max(1, min(int(bins), 64))
    try:
        stds = init_stds(source)
    except SyntaxError:
        stds = []
    same_run = _last['state_dict'] == id(state_dict)
    out = {}
    for name, mat in state_dict.items():
        values = [float(p.data) for row in mat for p in row]
        stats = matrix_stats(values, bins)
        stats['shape'] = [len(mat), len(mat[0]) if len(mat) else 0]
        stats['grad_norm'] = _last['norms'].get(name) if same_run else None
        stats['grad_step'] = _last['step'] if same_run and name in _last['norms'] else None
        stats['init_std'] = _init_std_of(name, stds)
        out[name] = stats
    return out

