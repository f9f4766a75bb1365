"""A real forward pass of the run's model, watched line by line.

forward() calls the run's own gpt(token_id, pos_id, keys, values) for each position of a
document, exactly as the training step's Tokenize and Forward phases do, while a tracer limited
to gpt's own frames notes which locals each line of gpt (re)binds. Those vectors are the
numbers the Architecture tab animates: nothing here computes the model, it only copies
`.data` out of the Values that microgpt.py made. The probabilities come from the run's own
softmax(). Which block of the diagram a line belongs to comes from source_map's anchors.

Tracing uses sys.settrace, restores whatever trace function was set before, and touches neither
the global `random` stream nor any parameter's data or grad.
"""
import ast
import sys

import model_map
import source_map

# The blocks of the diagram, in the order a position passes through them.
# anchor name (source_map) -> label. q, k, v share the 'qkv' anchor; 'head_out' is not an anchor.
_BLOCKS = {
    'token_embedding': 'Token embedding',
    'position_embedding': 'Position embedding',
    'embed_add': 'Embeddings added',
    'embed_norm': 'RMSNorm',
    'attn_norm': 'RMSNorm',
    'qkv': 'q, k, v',
    'attn_softmax': 'Attention weights',
    'head_out': 'Head output',
    'attn_out': 'attn_wo',
    'attn_residual': 'Residual',
    'mlp_norm': 'RMSNorm',
    'mlp_fc1': 'mlp_fc1',
    'relu2': 'ReLU²',
    'mlp_fc2': 'mlp_fc2',
    'mlp_residual': 'Residual',
    'lm_head': 'LM head',
}
_OUTSIDE_LAYERS = ('token_embedding', 'position_embedding', 'embed_add', 'embed_norm', 'lm_head')


class ForwardError(ValueError):
    """A request the model cannot answer (unknown character, empty text); message is for people."""


def _loop_targets(source):
    """The names gpt's layer loop and head loop bind (e.g. 'li', 'h'), found with ast."""
    tree = ast.parse(source_map._normalize(source))
    gpt = next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == 'gpt'), None)
    layer = head = None
    for node in ast.walk(gpt) if gpt is not None else ():
        if isinstance(node, ast.For) and isinstance(node.target, ast.Name):
            if layer is None and model_map._mentions(node.iter, 'n_layer'):
                layer = node.target.id
            elif head is None and model_map._mentions(node.iter, 'n_head'):
                head = node.target.id
    return layer, head


def _plain(value, value_cls):
    """A Value as a float, a flat list of Values as a list of floats, anything else None."""
    if isinstance(value, value_cls):
        return float(value.data)
    if isinstance(value, list) and value and all(isinstance(v, value_cls) for v in value):
        return [float(v.data) for v in value]
    return None


class _Recorder:
    """A settrace tracer that watches only frames running `code` and lists the locals each of
    their lines (re)bound: [(line, name, plain value, layer, head)]."""

    def __init__(self, code, value_cls, layer_name, head_name):
        self.code, self.value_cls = code, value_cls
        self.layer_name, self.head_name = layer_name, head_name
        self.events = []
        self._seen = {}
        self._line = None

    def global_trace(self, frame, event, arg):
        if frame.f_code is not self.code:
            return None          # other frames run untraced
        self._seen, self._line = {}, None
        return self.local_trace

    def local_trace(self, frame, event, arg):
        line = frame.f_lineno
        if event == 'line' and line == self._line:
            return self.local_trace   # a loop jumping back within one line (inlined comprehensions)
        if event in ('line', 'return') and self._line is not None:
            self._note(frame.f_locals, self._line)
        self._line = line
        return self.local_trace

    def _note(self, f_locals, line):
        seen = self._seen
        layer, head = f_locals.get(self.layer_name), f_locals.get(self.head_name)
        for name, value in list(f_locals.items()):
            if seen.get(name, seen) is value:
                continue
            seen[name] = value   # kept alive, so a new object cannot reuse its id
            plain = _plain(value, self.value_cls)
            if plain is not None:
                self.events.append((line, name, plain, layer, head))


def _tokens(g, text):
    if not isinstance(text, str) or not text.strip():
        raise ForwardError('Type a name first.')
    text = text.strip()
    uchars = g['uchars']
    unknown = sorted({ch for ch in text if ch not in uchars})
    if unknown:
        shown = ', '.join(repr(ch) for ch in unknown)
        raise ForwardError(f"The model does not know {shown}: it only knows the characters of its "
                           f"training data ({''.join(uchars)}).")
    return text, [g['BOS']] + [uchars.index(ch) for ch in text] + [g['BOS']]


def _label(g, token_id):
    return None if token_id == g['BOS'] else g['uchars'][token_id]


def _run(g, tokens, recorder=None):
    """logits (Values) for each position predicted, as the training step computes them."""
    n_layer, gpt = g['n_layer'], g['gpt']
    n = min(g['block_size'], len(tokens) - 1)
    keys, values = [[] for _ in range(n_layer)], [[] for _ in range(n_layer)]
    logits = []
    for pos_id in range(n):
        if recorder is not None:
            recorder.events = []
        logits.append((gpt(tokens[pos_id], pos_id, keys, values),
                       recorder.events if recorder is not None else None))
    return logits


def _trace(g, source, tokens):
    """[(logits Values, events)] per position, with the tracer on only while gpt runs."""
    layer_name, head_name = _loop_targets(source)
    recorder = _Recorder(g['gpt'].__code__, g['Value'], layer_name, head_name)
    previous = sys.gettrace()
    sys.settrace(recorder.global_trace)
    try:
        return _run(g, tokens, recorder)
    finally:
        sys.settrace(previous)


def _block_of(line, anchors):
    """The anchor (diagram block) whose lines hold `line`; the narrowest one wins."""
    best = None
    for name in _BLOCKS:
        span = anchors.get(name)
        if span and span[0] <= line <= span[1] and (best is None or span[1] - span[0] < best[1]):
            best = (name, span[1] - span[0])
    return best[0] if best else None


def _steps(events, anchors, head_dim):
    """The vectors of one position, in order, each tagged with its block and source line."""
    heads = anchors.get('attention_heads')
    softmax_end = (anchors.get('attn_softmax') or [None, None])[1]
    steps = []
    for line, name, value, layer, head in events:
        if not isinstance(value, list):
            continue
        block = _block_of(line, anchors)
        in_heads = heads is not None and heads[0] <= line <= heads[1]
        if in_heads:
            if block == 'attn_softmax':
                pass
            elif softmax_end is not None and line > softmax_end and len(value) == head_dim:
                block = 'head_out'
            else:
                continue         # q_h, attn_logits, ...: parts of the head, not shown as blocks
        if block is None or (block == 'qkv' and name not in ('q', 'k', 'v')):
            continue
        steps.append({'block': block, 'label': name if block == 'qkv' else _BLOCKS[block],
                      'name': name, 'layer': layer if block not in _OUTSIDE_LAYERS else None,
                      'head': head if in_heads else None, 'lines': [[line, line]], 'values': value})
    return steps



def forward(g, source, text='emma'):
    """Every vector of a real forward pass of `text`, position by position (see module doc).

    {text, chars: input label per position (BOS None), targets: label of the real next token,
     vocab: label per token id, n_layer, n_head, n_embd, head_dim, lines: {softmax},
     positions: [{pos, token, char, target, target_char, steps: [{block, label, name, layer,
                  head, lines: [[l, l]], values}], logits, probs, target_prob}]}
    """
    text, tokens = _tokens(g, text)
    sm = source_map.source_map(source)
    anchors, softmax_lines = sm['anchors'], sm['defs'].get('softmax')
    head_dim = g['n_embd'] // g['n_head']
    traced = _trace(g, source, tokens)
    softmax = g['softmax']
    positions = []
    for pos_id, (logits, events) in enumerate(traced):
        probs = [float(p.data) for p in softmax(logits)]
        target = tokens[pos_id + 1]
        steps = _steps(events, anchors, head_dim)
        steps.append({'block': 'softmax', 'label': 'Softmax', 'name': 'probs', 'layer': None,
                      'head': None, 'lines': [softmax_lines] if softmax_lines else [],
                      'values': probs})
        positions.append({'pos': pos_id, 'token': tokens[pos_id], 'char': _label(g, tokens[pos_id]),
                          'target': target, 'target_char': _label(g, target),
                          'steps': steps, 'logits': [float(l.data) for l in logits],
                          'probs': probs, 'target_prob': probs[target]})
    vocab = [_label(g, t) for t in range(g['vocab_size'])]
    return {'text': text, 'chars': [p['char'] for p in positions],
            'targets': [p['target_char'] for p in positions], 'vocab': vocab,
            'n_layer': g['n_layer'], 'n_head': g['n_head'], 'n_embd': g['n_embd'],
            'head_dim': head_dim, 'positions': positions}


def attention(g, source, text='emma'):
    """{text, chars, n_layer, n_head, weights: [layer][head][query][key]} where a query's row
    holds keys 0..query only (gpt's causal attention)."""
    result = forward(g, source, text)
    n_layer, n_head = result['n_layer'], result['n_head']
    weights = [[[None] * len(result['positions']) for _ in range(n_head)] for _ in range(n_layer)]
    for position in result['positions']:
        for step in position['steps']:
            if step['block'] == 'attn_softmax':
                weights[step['layer']][step['head']][position['pos']] = step['values']
    return {'text': result['text'], 'chars': result['chars'], 'n_layer': n_layer, 'n_head': n_head,
            'weights': weights}


def weights(g, source):
    """{name: [[float]]}: the run's state_dict as plain numbers (for tests and the curious)."""
    return {name: [[float(p.data) for p in row] for row in matrix]
            for name, matrix in g['state_dict'].items()}
