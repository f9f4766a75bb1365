"""Answers the views' questions about a run by calling microgpt.py's own functions on the run's
globals. Nothing here re-implements the model; every number comes from gpt(), softmax() and the
run's state_dict. Results are plain dicts and lists, ready for JSON."""
import ast
import random

MAX_SCHEDULE_POINTS = 400


def _loop_assignment(source, name):
    """The value expression of `name = ...` inside the top-level training loop, or None."""
    for node in ast.parse(source).body:
        if isinstance(node, ast.For) and 'num_steps' in ast.unparse(node.iter):
            for stmt in ast.walk(node):
                if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in stmt.targets):
                    return stmt.value
    return None


def lr_schedule(g, source):
    """[[step (1-based), lr_t]] by evaluating microgpt.py's own `lr_t = ...` line at each step."""
    expr = _loop_assignment(source, 'lr_t')
    num_steps = g.get('num_steps')
    if expr is None or not isinstance(num_steps, int) or num_steps < 1:
        return None
    code = compile(ast.Expression(expr), 'microgpt.py', 'eval')
    stride = max(1, num_steps // MAX_SCHEDULE_POINTS)
    steps = sorted(set(range(0, num_steps, stride)) | {num_steps - 1})
    try:
        return [[step + 1, float(eval(code, g, {'step': step}))] for step in steps]
    except Exception:
        return None


def run_info(g, source):
    """What the views need to know once a run's set-up has executed."""
    params = g.get('params')
    return {
        'lr_schedule': lr_schedule(g, source),
        'num_params': len(params) if isinstance(params, list) else None,
        'vocab_size': g.get('vocab_size') if isinstance(g.get('vocab_size'), int) else None,
    }


def _token_text(g, token_id):
    return None if token_id == g['BOS'] else g['uchars'][token_id]


def samples(g, count=10, temperature=0.5, seed=0, top=6):
    """Names sampled the way microgpt.py samples them, with each position's likeliest next
    tokens. Uses its own random generator so the run's random stream is left untouched."""
    gpt, softmax = g['gpt'], g['softmax']
    n_layer, block_size, vocab_size = g['n_layer'], g['block_size'], g['vocab_size']
    rng = random.Random(seed)
    items = []
    for _ in range(count):
        keys, values = [[] for _ in range(n_layer)], [[] for _ in range(n_layer)]
        token_id, text, steps = g['BOS'], '', []
        for pos_id in range(block_size):
            logits = gpt(token_id, pos_id, keys, values)
            weights = [p.data for p in softmax([l / temperature for l in logits])]
            token_id = rng.choices(range(vocab_size), weights=weights)[0]
            likeliest = sorted(range(vocab_size), key=lambda t: -weights[t])[:top]
            if token_id not in likeliest:   # always show the one it picked
                likeliest.append(token_id)
            steps.append({'context': text, 'chosen': _token_text(g, token_id),
                          'top': [[_token_text(g, t), weights[t]] for t in likeliest]})
            if token_id == g['BOS']:
                break
            text += g['uchars'][token_id]
        items.append({'text': text, 'steps': steps})
    return {'temperature': temperature, 'items': items}


# Every inspection the page can ask for: kind -> function(globals, source, **args).
KINDS = {
    'run_info': run_info,
    'samples': lambda g, source, **args: samples(g, **args),
    'forward': lambda g, source, **args: __import__('forward_trace').forward(g, source, **args),
    'attention': lambda g, source, **args: __import__('forward_trace').attention(g, source, **args),
    'weights': lambda g, source, **args: __import__('forward_trace').weights(g, source),
    'graph': lambda g, source, **args: __import__('graph_slice').graph(g, source, **args),
    'params': lambda g, source, **args: __import__('param_stats').param_stats(g, source, **args),
    'step_trace': lambda g, source, **args: __import__('step_trace').record(g, source, **args),
}


def watch(run):
    """Hooks a new run so the views can see what only exists mid-step (the gradients, the data
    before Adam's update): the parameter cards' grad norms and the step's report (step_report.py),
    handed over by step_report_of(run) after each step."""
    import param_stats
    import step_report
    report = run.report = step_report.StepReport()

    def guarded(part, read):
        def hook(g):
            try:
                read(g)
            except Exception as e:   # an edit that reshaped what is read: said, training goes on
                report._note(part, f'could not be read ({type(e).__name__}: {e})')
        return hook

    def backward(g):
        norms = None
        try:
            norms = param_stats.remember_grad_norms(g)
        finally:
            report.backward(g, norms)

    run.after_phase.update({
        'tokenize': guarded('tokens', report.tokenize),
        'forward': guarded('positions', report.model),
        'loss': guarded('positions', report.model),
        'backward': guarded('grads', backward),
        'adam': guarded('updates', report.adam),
    })


def step_report_of(run):
    """The report of the step the run just made (see step_report.py), or None if not watched."""
    report = getattr(run, 'report', None)
    return report.take(run.globals) if report is not None else None


# The names of microgpt.py the views read (set before its training loop).
_READ = ('state_dict', 'params', 'gpt', 'softmax', 'Value', 'uchars', 'BOS', 'vocab_size',
         'n_layer', 'n_head', 'n_embd', 'block_size')


class ViewError(Exception):
    """What a view cannot show for this run, said plainly (the bridge sends the message as is)."""


def answer(kind, g, source, args):
    """The bridge's `inspect` op lands here. An edit that removed or reshaped what a view reads
    (say, renamed state_dict) is explained, not reported as a crash; training is not affected."""
    if kind not in KINDS:
        raise KeyError(f'unknown inspection: {kind}')
    try:
        return KINDS[kind](g, source, **(args or {}))
    except (KeyError, AttributeError, TypeError, IndexError, NameError, RuntimeError) as e:
        missing = [name for name in _READ if name not in g]
        if g and missing:
            names = ', '.join(f'`{name}`' for name in missing[:3])
            raise ViewError(f'the code that ran has no {names}, which this view reads. '
                            'Training is not affected; Reset code brings the original back.') from None
        if isinstance(e, RuntimeError):
            raise                     # the views' own "no model yet" and the like
        raise ViewError(f'this view could not read the model the edited code made '
                        f'({type(e).__name__}: {e}). Training is not affected.') from None
