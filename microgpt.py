"""
Train a GPT and sample from it, in pure Python with no dependencies.
Every piece is here: data, tokenizer, autograd, transformer, Adam, sampling.
Real libraries add speed, not ideas.
"""

import os       # os.path.exists
import math     # math.log, math.exp, math.cos
import random   # random.seed, random.shuffle, random.gauss, random.choices
random.seed(42) # same seed, same run

# Data: a list of documents, here one name per line of input.txt
if not os.path.exists('input.txt'):
    raise SystemExit("error: input.txt not found; put one document per line in input.txt next to microgpt.py")
docs = [line.strip() for line in open('input.txt').read().strip().split('\n') if line.strip()]
random.shuffle(docs)
print(f"num docs: {len(docs)}")

# Tokenizer: every distinct character is a token, plus one special token BOS
uchars = sorted(set(''.join(docs))) # characters become token ids 0..len(uchars)-1
BOS = len(uchars)                   # Beginning Of Sequence: marks where a document starts and ends
vocab_size = len(uchars) + 1
print(f"vocab size: {vocab_size}")

# Autograd: each Value remembers how it was made, so the chain rule can run backwards
class Value:
    __slots__ = ('data', 'grad', '_children', '_local_grads')

    def __init__(self, data, children=(), local_grads=()):
        self.data = data                # the number, computed in the forward pass
        self.grad = 0.0                 # d(loss)/d(this number), filled in by backward()
        self._children = children       # the Values this one was computed from
        self._local_grads = local_grads # d(this)/d(each child), known when this node is made

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        return Value(self.data + other.data, (self, other), (1.0, 1.0))

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        return Value(self.data * other.data, (self, other), (other.data, self.data))

    def __pow__(self, k): return Value(self.data ** k, (self,), (k * self.data ** (k - 1),)) # k is a plain number
    def log(self): return Value(math.log(self.data), (self,), (1 / self.data,))
    def exp(self): return Value(math.exp(self.data), (self,), (math.exp(self.data),))
    def relu(self): return Value(max(0, self.data), (self,), (float(self.data > 0),))
    def __neg__(self): return self * -1
    def __radd__(self, other): return self + other
    def __sub__(self, other): return self + (-other)
    def __rsub__(self, other): return other + (-self)
    def __rmul__(self, other): return self * other
    def __truediv__(self, other): return self * other ** -1
    def __rtruediv__(self, other): return other * self ** -1

    def backward(self):
        # order the graph so every node comes after all of its children (depth-first search,
        # with an explicit stack instead of recursion, so even deep graphs fit)
        topo, visited, stack = [], {self}, [(self, iter(self._children))]
        while stack:
            node, children = stack[-1]
            for child in children:      # the next child not yet visited, if any: go deeper
                if child not in visited:
                    visited.add(child)
                    stack.append((child, iter(child._children)))
                    break
            else:                       # all children done: the node itself is done
                topo.append(node)
                stack.pop()
        # chain rule, from the loss back to the leaves
        self.grad = 1.0
        for node in reversed(topo):
            for child, local_grad in zip(node._children, node._local_grads):
                child.grad += local_grad * node.grad

# Parameters: the model's knowledge, random at first
n_embd = 16     # width of every vector in the model
n_head = 4      # attention heads, each looking at n_embd // n_head dimensions
n_layer = 1     # transformer layers
block_size = 8  # longest context, in tokens
head_dim = n_embd // n_head
matrix = lambda nout, nin, std=0.02: [[Value(random.gauss(0, std)) for _ in range(nin)] for _ in range(nout)]
state_dict = {'wte': matrix(vocab_size, n_embd), 'wpe': matrix(block_size, n_embd), 'lm_head': matrix(vocab_size, n_embd)}
for i in range(n_layer):
    state_dict[f'layer{i}.attn_wq'] = matrix(n_embd, n_embd)
    state_dict[f'layer{i}.attn_wk'] = matrix(n_embd, n_embd)
    state_dict[f'layer{i}.attn_wv'] = matrix(n_embd, n_embd)
    state_dict[f'layer{i}.attn_wo'] = matrix(n_embd, n_embd, std=0) # zero: each block starts as identity
    state_dict[f'layer{i}.mlp_fc1'] = matrix(4 * n_embd, n_embd)
    state_dict[f'layer{i}.mlp_fc2'] = matrix(n_embd, 4 * n_embd, std=0)
params = [p for mat in state_dict.values() for row in mat for p in row] # one flat list of Values
print(f"num params: {len(params)}")

# Model: the building blocks, then the GPT itself
def linear(x, w):
    return [sum(wi * xi for wi, xi in zip(row, x)) for row in w] # one dot product per row of w

def softmax(logits):
    max_val = max(val.data for val in logits) # subtract the max so exp() cannot overflow
    exps = [(val - max_val).exp() for val in logits]
    total = sum(exps)
    return [e / total for e in exps]

def rmsnorm(x):
    ms = sum(xi * xi for xi in x) / len(x) # mean square
    scale = (ms + 1e-5) ** -0.5
    return [xi * scale for xi in x]

def gpt(token_id, pos_id, keys, values):
    tok_emb = state_dict['wte'][token_id] # what the token is
    pos_emb = state_dict['wpe'][pos_id]   # where it is
    x = [t + p for t, p in zip(tok_emb, pos_emb)]
    x = rmsnorm(x)

    for li in range(n_layer):
        # 1) Multi-head attention: look back at earlier positions
        x_residual = x
        x = rmsnorm(x)
        q = linear(x, state_dict[f'layer{li}.attn_wq'])
        k = linear(x, state_dict[f'layer{li}.attn_wk'])
        v = linear(x, state_dict[f'layer{li}.attn_wv'])
        keys[li].append(k)   # the KV cache: this position's key and value,
        values[li].append(v) # kept for the positions that come after
        x_attn = []
        for h in range(n_head):
            hs = h * head_dim
            q_h = q[hs:hs + head_dim]
            k_h = [ki[hs:hs + head_dim] for ki in keys[li]]
            v_h = [vi[hs:hs + head_dim] for vi in values[li]]
            attn_logits = [sum(q_h[j] * k_h[t][j] for j in range(head_dim)) / head_dim ** 0.5 for t in range(len(k_h))]
            attn_weights = softmax(attn_logits) # how much this position attends to each earlier one
            head_out = [sum(attn_weights[t] * v_h[t][j] for t in range(len(v_h))) for j in range(head_dim)]
            x_attn.extend(head_out)
        x = linear(x_attn, state_dict[f'layer{li}.attn_wo'])
        x = [a + b for a, b in zip(x, x_residual)]
        # 2) MLP: think about what was gathered, one position at a time
        x_residual = x
        x = rmsnorm(x)
        x = linear(x, state_dict[f'layer{li}.mlp_fc1'])
        x = [xi.relu() ** 2 for xi in x] # ReLU, squared
        x = linear(x, state_dict[f'layer{li}.mlp_fc2'])
        x = [a + b for a, b in zip(x, x_residual)]

    logits = linear(x, state_dict['lm_head']) # one score per token in the vocabulary
    return logits

# Adam: the optimizer, with a running mean (m) and mean square (v) of every gradient
learning_rate, beta1, beta2, eps_adam = 1e-2, 0.9, 0.95, 1e-8
m = [0.0] * len(params)
v = [0.0] * len(params)

# Training: one document per step
num_steps = 500
for step in range(num_steps):

    # Tokenize: the document between two BOS tokens
    doc = docs[step % len(docs)]
    tokens = [BOS] + [uchars.index(ch) for ch in doc] + [BOS]
    n = min(block_size, len(tokens) - 1) # positions to predict

    # Forward: the model reads the tokens one by one and scores every possible next token
    keys, values = [[] for _ in range(n_layer)], [[] for _ in range(n_layer)]
    logits = [gpt(tokens[pos_id], pos_id, keys, values) for pos_id in range(n)]

    # Loss: cross-entropy, the mean of -log(probability given to the real next token)
    losses = [-softmax(logits[pos_id])[tokens[pos_id + 1]].log() for pos_id in range(n)]
    loss = (1 / n) * sum(losses)

    # Backward: d(loss)/d(every parameter)
    loss.backward()

    # Adam update: step each parameter against its gradient, with a cosine-decaying learning rate
    lr_t = learning_rate * 0.5 * (1 + math.cos(math.pi * step / num_steps))
    for i, p in enumerate(params):
        m[i] = beta1 * m[i] + (1 - beta1) * p.grad
        v[i] = beta2 * v[i] + (1 - beta2) * p.grad ** 2
        m_hat = m[i] / (1 - beta1 ** (step + 1)) # bias correction: m and v start at zero
        v_hat = v[i] / (1 - beta2 ** (step + 1))
        p.data -= lr_t * m_hat / (v_hat ** 0.5 + eps_adam)
        p.grad = 0.0

    print(f"step {step+1:4d} / {num_steps:4d} | loss {loss.data:.4f}")

# Sampling: the trained model invents new documents, one token at a time
temperature = 0.5 # below 1: safer choices; above 1: wilder ones
print("\n--- inference ---")
for sample_idx in range(20):
    keys, values = [[] for _ in range(n_layer)], [[] for _ in range(n_layer)]
    token_id = BOS
    sample = []
    for pos_id in range(block_size):
        logits = gpt(token_id, pos_id, keys, values)
        probs = softmax([l / temperature for l in logits])
        token_id = random.choices(range(vocab_size), weights=[p.data for p in probs])[0]
        if token_id == BOS:
            break
        sample.append(uchars[token_id])
    print(f"sample {sample_idx+1:2d}: {''.join(sample)}")
