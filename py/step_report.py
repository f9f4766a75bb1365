"""What one training step did, read from microgpt.py's own variables right after each phase.

The Training tab shows it under the phases: the document and its tokens (after Tokenize), each
position's target, the probability the model gave it and its loss (after Forward/Loss), the size
of each matrix's gradient (after Backward, before Adam sets the grads to zero) and how far Adam
moved each matrix, with lr_t (after Adam). Nothing is computed again: the numbers are the .data
of the Values microgpt.py made (a probability is the Value whose log the loss took), and the
update is the difference of each parameter's .data across the Adam phase.

Names are microgpt.py's own (doc, tokens, uchars, BOS, losses, state_dict, lr_t). A name an edit
removed or reshaped leaves its part out (None), with a note saying so; training never fails here.
Cost, measured at the defaults: ~1 ms of a ~100 ms step in the browser (two passes over params).
"""
import math

MAX_TOKENS = 64      # a longer document's tokens are cut (training itself uses block_size of them)


def _number(value):
    try:
        value = value if isinstance(value, (int, float)) else getattr(value, 'data', None)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    except Exception:
        pass
    return None


def _matrices(g):
    """[(name, [Values])] of the state_dict, or None if it is not a dict of lists of lists."""
    state_dict = g.get('state_dict')
    if not isinstance(state_dict, dict):
        return None
    try:
        return [(str(name), [p for row in mat for p in row]) for name, mat in state_dict.items()]
    except TypeError:
        return None


def _token(g, token_id):
    """{id, text} of a token; text is None for BOS (the view says BOS), '?' if unknown."""
    uchars, bos = g.get('uchars'), g.get('BOS')
    if token_id == bos:
        return {'id': token_id, 'text': None}
    try:
        return {'id': token_id, 'text': str(uchars[token_id])}
    except Exception:
        return {'id': token_id, 'text': '?'}


def _probability(loss_value, loss):
    """The probability whose -log is this position's loss: the child of the log node just below
    it in microgpt.py's graph (checked: log of its data is minus the loss), else None."""
    level = [loss_value]
    for _ in range(4):
        below = []
        for node in level:
            children = getattr(node, '_children', ()) or ()
            if len(children) == 1:
                p = _number(children[0])
                if p is not None and 0 < p <= 1 and abs(math.log(p) + loss) <= 1e-9 * max(1.0, abs(loss)):
                    return p
            below.extend(children)
        level = below[:8]
    return None


class StepReport:
    """Collects one step's report, phase by phase; take() hands it over and starts the next."""

    def __init__(self):
        # id() of the `losses` list the last step left (still alive then, so a new list cannot
        # have it): the same id means this step did not rebind it. Holding the list itself would
        # keep the last step's whole graph alive, and free it inside the next step's report.
        self._old_losses = None
        self._before = None          # each matrix's .data after backward(), to see Adam's update
        self._report = {}
        self.notes = {}

    def _note(self, part, text):
        self.notes.setdefault(part, text)

    def tokenize(self, g):
        doc, tokens = g.get('doc'), g.get('tokens')
        self._report['doc'] = doc if isinstance(doc, str) else None
        if isinstance(tokens, list) and all(isinstance(t, int) for t in tokens):
            self._report['tokens'] = [_token(g, t) for t in tokens[:MAX_TOKENS]]
            self._report['token_count'] = len(tokens)
        else:
            self._report['tokens'] = None
            self._note('tokens', 'this code has no `tokens` list of token ids')

    def model(self, g):
        """After Forward and after Loss: each position's target, its probability and its loss."""
        losses, tokens = g.get('losses'), g.get('tokens')
        if not isinstance(losses, list) or id(losses) == self._old_losses:
            return
        positions = []
        for i, value in enumerate(losses):
            loss = _number(value)
            target = tokens[i + 1] if isinstance(tokens, list) and i + 1 < len(tokens) else None
            positions.append({
                'pos': i,
                'input': _token(g, tokens[i]) if isinstance(tokens, list) and i < len(tokens) else None,
                'target': _token(g, target) if isinstance(target, int) else None,
                'p': _probability(value, loss) if loss is not None else None,
                'loss': loss,
            })
        self._report['positions'] = positions

    def backward(self, g, norms=None):
        """After backward(): each matrix's gradient norm ({name: norm}, computed once, by
        param_stats, for the parameter cards too; None where it has none), and its .data."""
        matrices = _matrices(g)
        if matrices is None:
            self._note('grads', 'this code has no `state_dict` of matrices')
            return
        norms = norms or {}
        self._report['grads'] = [{'name': name, 'count': len(ps), 'norm': norms.get(name)}
                                 for name, ps in matrices]
        self._before = [(name, ps, [p.data for p in ps]) for name, ps in matrices]

    def adam(self, g):
        """After the update: how far each matrix moved (mean |change of .data|), and lr_t."""
        self._report['lr_t'] = _number(g.get('lr_t'))
        if self._before is None:
            self._note('updates', 'the update is measured from just after backward()')
            return
        self._report['updates'] = [
            {'name': name, 'mean_abs': sum(abs(p.data - b) for p, b in zip(ps, before)) / max(1, len(ps))}
            for name, ps, before in self._before]
        self._before = None

    def take(self, g):
        """This step's report ({doc, tokens, positions, grads, updates, lr_t, notes}; a part
        that could not be read is None), and a fresh start for the next step."""
        report, self._report, self._before = self._report, {}, None
        self._old_losses = id(g.get('losses'))
        for part in ('doc', 'tokens', 'token_count', 'positions', 'grads', 'updates', 'lr_t'):
            report.setdefault(part, None)
        if report['positions'] is None:
            self._note('positions', 'this code has no `losses` list, one loss per position')
        report['notes'] = dict(self.notes)
        self.notes = {}
        return report
