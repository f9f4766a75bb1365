"""The phases of the training loop's body, recognised by the statements they contain.

A step of microgpt.py has four jobs, and each is told by what its statements do, not by how
their comments are written (Karpathy's original has plain sentences as comments, this repo's
copy has "# Name: ..." ones; both must work):

    tokenize   binds `doc` or `tokens`, or picks from `docs[...]`
    forward    calls the model: gpt(), or any top-level function that reads state_dict
    loss       calls .log() or binds `loss` / `losses`
    backward   calls .backward()
    adam       binds `lr_t`, or stores into a parameter's `.data` (the optimizer's loop over params)

The body is first cut into blocks, where blank lines or comment lines separate statements (as a
reader sees its paragraphs). A block whose statements do two jobs (say, backward() and Adam with
no blank line between) is cut again at each change of job; forward and loss stay together, as
in the original, where the loss is computed inside the forward loop. A statement that does none
of the jobs (`keys, values = ...`, `print(...)`) goes with its neighbours. A "# Name: ..."
comment opening a block still names its phase (and keeps a block of no known job on its own).

Line ranges are 1-based and inclusive; a phase runs from its first comment or statement to the
line before the next phase (blank lines at its end trimmed), so the phases cover the whole body.
"""
import ast

from model_map import _mentions, _start

TITLES = {'tokenize': 'Tokenize', 'forward': 'Forward', 'loss': 'Loss', 'backward': 'Backward',
          'adam': 'Adam update'}
# The job a block is named for when its statements do several: the most telling one.
_PRIORITY = ('backward', 'adam', 'forward', 'loss', 'tokenize')
# Jobs that stay in one phase when they share a block.
_GROUP = {'tokenize': 'tokenize', 'forward': 'model', 'loss': 'model', 'backward': 'backward',
          'adam': 'adam'}


def model_functions(tree):
    """Names of the top-level functions that run the model: gpt, and any def reading state_dict."""
    names = {'gpt'}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and _mentions(node, 'state_dict'):
            names.add(node.name)
    return names


def _bound(stmt):
    """Names the statement binds at its own level (assignment targets, a for loop's target)."""
    targets = []
    if isinstance(stmt, ast.Assign):
        targets = stmt.targets
    elif isinstance(stmt, (ast.AugAssign, ast.AnnAssign, ast.For)):
        targets = [stmt.target]
    return {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}


def job(stmt, model_fns):
    """The job one statement of the loop body does (see the module doc), or None."""
    nodes = list(ast.walk(stmt))
    calls = [n for n in nodes if isinstance(n, ast.Call)]
    method = {c.func.attr for c in calls if isinstance(c.func, ast.Attribute)}
    called = {c.func.id for c in calls if isinstance(c.func, ast.Name)}
    bound = {name for n in nodes if isinstance(n, ast.stmt) for name in _bound(n)}
    if 'backward' in method:
        return 'backward'
    if 'lr_t' in bound or any(isinstance(n, ast.Attribute) and n.attr == 'data'
                              and isinstance(n.ctx, ast.Store) for n in nodes):
        return 'adam'
    if called & model_fns:
        return 'forward'
    if 'log' in method or bound & {'loss', 'losses'}:
        return 'loss'
    if bound & {'doc', 'tokens'} or any(isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name)
                                        and n.value.id == 'docs' for n in nodes):
        return 'tokenize'
    return None


def _blocks(body, lines, header_end, named):
    """[(statements, first line, name or None)]: the body's paragraphs."""
    blocks = []
    previous_end = header_end
    for stmt in body:
        gap = range(previous_end + 1, _start(stmt))   # only blank and comment lines lie here
        texts = [lines[row - 1].strip() for row in gap]
        filled = [row for row, text in zip(gap, texts) if text]
        name = next((named(text) for text in texts if text.startswith('#') and named(text)), None)
        if not blocks or texts:
            blocks.append(([stmt], filled[0] if filled else _start(stmt), name))
        else:
            blocks[-1][0].append(stmt)
        previous_end = stmt.end_lineno
    return blocks


def _runs(statements, jobs):
    """A block cut at each change of job group; a statement of no job joins the next run (or the
    last). [(statements, job of the run or None)]."""
    runs, waiting = [], []
    for stmt in statements:
        j = jobs[id(stmt)]
        if j is None:
            waiting.append(stmt)
            continue
        if runs and _GROUP[runs[-1][1]] == _GROUP[j]:
            runs[-1][0].extend(waiting + [stmt])
        else:
            runs.append([waiting + [stmt], j])
        waiting = []
        runs[-1][1] = min((runs[-1][1], j), key=_PRIORITY.index)
    if waiting:
        if runs:
            runs[-1][0].extend(waiting)
        else:
            runs.append([waiting, None])
    return [(stmts, j) for stmts, j in runs]


def phases(tree, loop, lines, named):
    """[{"name", "job", "lines": [start, end], "statements": [...]}] of the loop's body.

    named(comment text) -> the name a "# Name: ..." comment gives, or None. A phase of no
    known job, before any named one, has the name "" and job None."""
    header_end = loop.iter.end_lineno
    first = loop.body[0]
    if first.lineno == header_end:   # `for ...: stmt` on one line: one phase of no name
        return [{'name': '', 'job': None, 'lines': [first.lineno, loop.body[-1].end_lineno],
                 'statements': list(loop.body)}]
    model_fns = model_functions(tree)
    jobs = {id(s): job(s, model_fns) for s in loop.body}
    out = []
    for statements, start, name in _blocks(loop.body, lines, header_end, named):
        for i, (stmts, j) in enumerate(_runs(statements, jobs)):
            own_name = name if i == 0 else None
            begin = start if i == 0 else _start(stmts[0])
            last = out[-1] if out else None
            if last is not None and own_name is None and (j is None or j == last['job']):
                last['statements'].extend(stmts)
            elif last is not None and own_name is None and last['job'] is None and not last['name']:
                last.update(job=j, name=TITLES[j])   # the unnamed statements before it join it
                last['statements'].extend(stmts)
            else:
                out.append({'name': own_name or (TITLES[j] if j else ''), 'job': j, 'start': begin,
                            'statements': list(stmts)})
    body_end = loop.body[-1].end_lineno
    for i, phase in enumerate(out):
        stop = out[i + 1]['start'] - 1 if i + 1 < len(out) else body_end
        while stop > phase['start'] and not lines[stop - 1].strip():
            stop -= 1
        phase['lines'] = [phase.pop('start'), stop]
    return out
