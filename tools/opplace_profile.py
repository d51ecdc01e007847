#!/usr/bin/env python3
"""Profile a PyTorch model into an opplace operator graph (``*.opgraph.json``).

    python3 tools/opplace_profile.py torchvision.models:resnet18 --input 1,3,224,224 \
        [--device cpu|cuda] [--repeat 5] [--warmup 1] [--seed 0] --out resnet18.opgraph.json

``MODULE:CALLABLE`` names something importable (the current directory is on ``sys.path``): a
factory or class called with no arguments, or an ``nn.Module`` instance. The model is put in
``eval()`` mode and run under ``torch.no_grad()`` (an inference step).

What the graph holds (one opplace node per ``torch.fx`` node, ids = FX node names):
- ``torch.fx`` symbolic trace. Modules without children are leaf modules (one ``call_module``
  node each); containers are traced into. A module whose ``forward`` cannot be traced
  symbolically (data-dependent control flow, e.g. ``nn.MultiheadAttention``) is retried as a leaf.
  When the model's own forward cannot be traced in eval mode (``nn.TransformerEncoder``'s fast-path
  checks branch on the input) it is traced in training mode and run in eval mode, with a warning.
  Functions and tensor methods become ``call_function`` / ``call_method`` nodes.
- Placeholder and output nodes are KEPT, as zero-time nodes (opType ``placeholder`` / ``output``),
  so the node list and edges are exactly the FX graph's (``len(graph.nodes)`` nodes, one edge per
  ``node.all_input_nodes`` entry).
- ``computeUs``: median over ``--repeat`` timed runs (after ``--warmup`` runs) of each node on the
  device, with ``torch.cuda.synchronize()`` around each node on CUDA.
- ``persistentBytes``: bytes of the parameters the node uses (a leaf module's parameters, or a
  ``get_attr`` of a parameter). A parameter used by several nodes (shared/tied weights, a module
  called twice) is counted once, on the first node, and all its users get one ``colocationGroup``.
  Buffers (e.g. BatchNorm running stats) are reported in ``meta.bufferBytes``, not as parameters.
- ``temporaryBytes``: on CUDA, the allocator peak during the node above what stays allocated after
  it (inputs, outputs): the workspace it freed; 0 on CPU (not measurable there).
- ``outputs``: every tensor in the node's result (from ``ShapeProp``) with shape, dtype and bytes.
- ``namespace``: the module path the node runs in (``layer1.0.conv1`` → ``["layer1","0","conv1"]``);
  ``modulePath``: the FQN for ``call_module`` and ``get_attr`` nodes.
- edges carry the bytes of the value that flows (for ``getitem`` of a tuple: the item).

Works with PyTorch 1.13 and 2.x; no dependencies besides torch.
"""

import argparse
import contextlib
import importlib
import inspect
import io
import json
import operator
import os
import statistics
import sys
import time

import torch
import torch.fx
from torch.fx.passes.shape_prop import ShapeProp, TensorMetadata

FORMAT_VERSION = 1


class ProfileError(Exception):
    """A problem the user can fix; printed without a traceback."""


# ---------------------------------------------------------------------------------------------
# Loading the model and its inputs


def load_model(spec):
    """``MODULE:CALLABLE`` → an nn.Module (called with no arguments unless it already is one)."""
    if ':' not in spec:
        raise ProfileError(f'"{spec}": expected MODULE:CALLABLE, e.g. torchvision.models:resnet18')
    module_name, attr_path = spec.split(':', 1)
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        obj = importlib.import_module(module_name)
    except ImportError as e:
        raise ProfileError(f'"{spec}": cannot import module "{module_name}" ({e})')
    for part in attr_path.split('.'):
        if not hasattr(obj, part):
            raise ProfileError(f'"{spec}": "{module_name}" has no attribute "{attr_path}"')
        obj = getattr(obj, part)
    if isinstance(obj, torch.nn.Module):
        model = obj
    elif callable(obj):
        try:
            model = obj()
        except Exception as e:  # noqa: BLE001 — the user's factory failed: say so in one line
            raise ProfileError(f'"{spec}": calling it with no arguments failed: {type(e).__name__}: {e}')
    else:
        raise ProfileError(f'"{spec}" is a {type(obj).__name__}, not an nn.Module or a callable')
    if not isinstance(model, torch.nn.Module):
        raise ProfileError(f'"{spec}" returned {type(model).__name__}, not a torch.nn.Module')
    return model


def parse_input_spec(text):
    """``1,3,224,224`` or ``8,16:int64`` → (shape tuple, dtype)."""
    shape_text, _, dtype_text = text.partition(':')
    try:
        shape = tuple(int(d) for d in shape_text.split(','))
    except ValueError:
        raise ProfileError(f'--input "{text}": expected comma-separated sizes like 1,3,224,224')
    if not shape or any(d <= 0 for d in shape):
        raise ProfileError(f'--input "{text}": every size must be a positive integer')
    dtype = getattr(torch, dtype_text or 'float32', None)
    if not isinstance(dtype, torch.dtype):
        raise ProfileError(f'--input "{text}": unknown dtype "{dtype_text}"')
    return shape, dtype


def make_inputs(specs, device, seed):
    """Deterministic example inputs (random normal floats, small non-negative integers)."""
    gen = torch.Generator().manual_seed(seed + 1)
    inputs = []
    for shape, dtype in specs:
        if dtype.is_floating_point:
            t = torch.randn(shape, generator=gen).to(dtype)
        else:
            t = torch.randint(0, 8, shape, generator=gen).to(dtype)
        inputs.append(t.to(device))
    return inputs


# ---------------------------------------------------------------------------------------------
# Tracing


class ScopedTracer(torch.fx.Tracer):
    """Traces into containers, keeps childless modules as leaves, and records the module path
    each node was created in (``node.meta['opplace_scope']``). Tracks the call stack of modules
    so that a failed trace can name the module whose forward could not be traced."""

    def __init__(self, forced_leaves=()):
        super().__init__(autowrap_functions=AUTOWRAP_FUNCTIONS)
        self.forced_leaves = set(forced_leaves)
        self.module_calls = []

    def is_leaf_module(self, m, qualname):
        if qualname in self.forced_leaves:
            return True
        return next(m.children(), None) is None

    def call_module(self, m, forward, args, kwargs):
        self.module_calls.append(self.path_of_module(m))
        out = super().call_module(m, forward, args, kwargs)
        # Not popped on an exception on purpose: the stack then names the failing module.
        self.module_calls.pop()
        return out

    def create_node(self, kind, target, args, kwargs, name=None, type_expr=None):
        node = super().create_node(kind, target, args, kwargs, name, type_expr)
        node.meta['opplace_scope'] = self.module_calls[-1] if self.module_calls else ''
        return node


def default_arguments(model, n_inputs):
    """Forward parameters beyond the given inputs that have defaults, fixed to those defaults
    (FX would otherwise make optional arguments such as masks into placeholders)."""
    params = list(inspect.signature(model.forward).parameters.values())
    fixed = {}
    for p in params[n_inputs:]:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        if p.default is p.empty:
            raise ProfileError(f'{type(model).__name__}.forward needs argument "{p.name}"; '
                               f'give one --input per required argument')
        fixed[p.name] = p.default
    return fixed


# Helpers that PyTorch 2.x calls from nn.TransformerEncoder.forward and that branch on tensor
# attributes (``src.is_nested``): recorded as function nodes instead of traced into.
AUTOWRAP_FUNCTIONS = tuple(f for f in (getattr(torch.nn.modules.transformer, '_get_seq_len', None),) if f is not None)


def _trace_with_leaf_fallback(model, concrete, max_retries):
    """Symbolic trace; a submodule whose forward fails to trace becomes a leaf and we retry.
    Returns (graph, tracer, forced leaves) or raises ProfileError naming the failing root."""
    forced = set()
    for _ in range(max_retries):
        tracer = ScopedTracer(forced)
        try:
            graph = tracer.trace(model, concrete_args=concrete or None)
        except Exception as e:  # noqa: BLE001 — any trace failure inside a submodule → make it a leaf
            failing = tracer.module_calls[-1] if tracer.module_calls else ''
            if failing == '' or failing in forced:
                raise ProfileError(f'torch.fx cannot trace {type(model).__name__}'
                                   f'{" (in module " + failing + ")" if failing else ""}: {e}')
            forced.add(failing)
            continue
        return graph, tracer, sorted(forced)
    raise ProfileError('torch.fx tracing did not converge')


def trace_model(model, n_inputs=1, max_retries=10000):
    """Symbolic trace with leaf fallback → (GraphModule, modules made leaves, warnings).

    When the model's own forward cannot be traced in eval mode it is traced once more in training
    mode (e.g. nn.TransformerEncoder, whose eval-only fast-path checks branch on the input; the
    training path computes the same function), and the module is put back in eval mode to run."""
    concrete = default_arguments(model, n_inputs)
    was_training = model.training
    warnings = []
    try:
        graph, tracer, leaves = _trace_with_leaf_fallback(model, concrete, max_retries)
    except ProfileError as eval_error:
        if not any(m.training is False for m in model.modules()):
            raise
        model.train()
        try:
            graph, tracer, leaves = _trace_with_leaf_fallback(model, concrete, max_retries)
        except ProfileError:
            raise eval_error
        finally:
            model.train(was_training)
        warnings.append(f'{type(model).__name__} was traced in training mode ({eval_error}); '
                        f'ops inside traced (non-leaf) modules follow their training code path')
    gm = torch.fx.GraphModule(tracer.root, graph)
    gm.train(was_training)
    return gm, leaves, warnings


# ---------------------------------------------------------------------------------------------
# Timing


def _sync_for(device):
    if device.type == 'cuda':
        return lambda: torch.cuda.synchronize(device)
    return lambda: None


class TimingInterpreter(torch.fx.Interpreter):
    """Runs the GraphModule node by node, recording each node's wall time (and CUDA peak)."""

    def __init__(self, gm, device):
        super().__init__(gm)
        self.device = device
        self.sync = _sync_for(device)
        self.times = {}
        self.temp_bytes = {}

    def run_node(self, n):
        cuda = self.device.type == 'cuda'
        if cuda:
            self.sync()
            before = torch.cuda.memory_allocated(self.device)
            torch.cuda.reset_peak_memory_stats(self.device)
        self.sync()
        t0 = time.perf_counter()
        result = super().run_node(n)
        self.sync()
        dt_us = (time.perf_counter() - t0) * 1e6
        self.times.setdefault(n.name, []).append(dt_us)
        if cuda:
            peak = torch.cuda.max_memory_allocated(self.device)
            after = torch.cuda.memory_allocated(self.device)
            # the op's peak above what stays allocated after it (inputs, outputs): freed workspace
            self.temp_bytes[n.name] = max(self.temp_bytes.get(n.name, 0), max(0, peak - after))
        return result


def time_nodes(gm, inputs, device, warmup, repeat):
    """Median microseconds per node over ``repeat`` runs after ``warmup`` untimed runs."""
    interp = TimingInterpreter(gm, device)
    with torch.no_grad():
        for _ in range(warmup):
            interp.run(*inputs)
        interp.times = {}
        for _ in range(repeat):
            interp.run(*inputs)
    medians = {name: statistics.median(ts) for name, ts in interp.times.items()}
    return medians, interp.temp_bytes


# ---------------------------------------------------------------------------------------------
# Building the opgraph


def dtype_name(dtype):
    return str(dtype).replace('torch.', '')


def element_size(dtype):
    return torch.empty((), dtype=dtype).element_size()


def tensor_leaves(meta):
    """Flattens ShapeProp's ``tensor_meta`` (TensorMetadata, or tuples/lists/dicts of them)."""
    if meta is None:
        return []
    if isinstance(meta, TensorMetadata):
        return [meta]
    if isinstance(meta, (tuple, list)):
        return [leaf for item in meta for leaf in tensor_leaves(item)]
    if isinstance(meta, dict):
        return [leaf for item in meta.values() for leaf in tensor_leaves(item)]
    return []


def node_outputs(node):
    """TensorInfo list for an FX node (the output node re-exports its inputs: none of its own)."""
    if node.op == 'output':
        return []
    leaves = tensor_leaves(node.meta.get('tensor_meta'))
    outs = []
    for i, m in enumerate(leaves):
        shape = [int(d) for d in m.shape]
        numel = 1
        for d in shape:
            numel *= d
        outs.append({
            'name': node.name if len(leaves) == 1 else f'{node.name}.{i}',
            'bytes': numel * element_size(m.dtype),
            'shape': shape,
            'dtype': dtype_name(m.dtype),
        })
    return outs


def op_type(gm, node):
    if node.op == 'call_module':
        return type(gm.get_submodule(node.target)).__name__
    if node.op == 'call_function':
        return getattr(node.target, '__name__', str(node.target))
    if node.op == 'call_method':
        return str(node.target)
    return node.op  # placeholder, get_attr, output


def fetch_attr(gm, target):
    obj = gm
    for part in target.split('.'):
        obj = getattr(obj, part)
    return obj


def node_parameters(gm, node):
    """Parameters a node reads directly (a module's own and its children's, or a get_attr)."""
    if node.op == 'call_module':
        return list(gm.get_submodule(node.target).parameters())
    if node.op == 'get_attr':
        value = fetch_attr(gm, node.target)
        return [value] if isinstance(value, torch.nn.Parameter) else []
    return []


def parameter_assignment(gm, nodes):
    """Each parameter counted once (on its first user) and users of a shared parameter grouped.

    Returns (bytes per node name, count per node name, colocation group per node name)."""
    names = {}
    for name, p in gm.named_parameters():
        names.setdefault(id(p), name)
    owner = {}  # id(param) → first node name using it
    users = {}  # id(param) → all node names using it
    for node in nodes:
        for p in node_parameters(gm, node):
            owner.setdefault(id(p), node.name)
            users.setdefault(id(p), [])
            if node.name not in users[id(p)]:
                users[id(p)].append(node.name)
    param_by_id = {id(p): p for p in gm.parameters()}
    bytes_of, count_of = {}, {}
    for pid, node_name in owner.items():
        p = param_by_id[pid]
        bytes_of[node_name] = bytes_of.get(node_name, 0) + p.numel() * p.element_size()
        count_of[node_name] = count_of.get(node_name, 0) + p.numel()
    # union-find over nodes that share a parameter
    parent = {}

    def find(x):
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for pid, us in users.items():
        for u in us[1:]:
            a, b = find(us[0]), find(u)
            if a != b:
                parent[b] = a
    # a group is named after its alphabetically first shared parameter (stable across runs)
    shared_names = {}
    for pid, us in users.items():
        if len(us) > 1:
            shared_names.setdefault(find(us[0]), []).append(names.get(pid, us[0]))
    groups = {}
    for pid, us in users.items():
        if len(us) > 1:
            for u in us:
                groups[u] = f'shared:{min(shared_names[find(us[0])])}'
    return bytes_of, count_of, groups


def edge_tensor(src, src_outputs, dst_node):
    """(tensor name, bytes) flowing along src → dst: for ``src[i]`` the item, else the whole value."""
    first = src_outputs[0]['name'] if src_outputs else src.name
    if dst_node.op == 'call_function' and dst_node.target is operator.getitem and len(src_outputs) > 1:
        item = node_outputs(dst_node)
        index = dst_node.args[1] if len(dst_node.args) > 1 else None
        named = f'{src.name}.{index}' if isinstance(index, int) else None
        tensor = named if any(t['name'] == named for t in src_outputs) else first
        if item:
            return tensor, sum(t['bytes'] for t in item)
    return first, sum(t['bytes'] for t in src_outputs)


def build_opgraph(gm, times, temp_bytes, name, meta, warnings=()):
    nodes = list(gm.graph.nodes)
    bytes_of, count_of, groups = parameter_assignment(gm, nodes)
    outputs = {n.name: node_outputs(n) for n in nodes}
    op_nodes = []
    for n in nodes:
        if n.op in ('call_module', 'get_attr'):
            module_path = n.target
            namespace = n.target.split('.')
        else:
            module_path = None
            scope = n.meta.get('opplace_scope', '')
            namespace = scope.split('.') if scope else []
        zero_time = n.op in ('placeholder', 'output')
        temp = temp_bytes.get(n.name, 0)
        op = {
            'id': n.name,
            'name': n.target if n.op in ('call_module', 'get_attr') else n.name,
            'opType': op_type(gm, n),
            'namespace': namespace,
            'computeUs': 0.0 if zero_time else round(times.get(n.name, 0.0), 3),
            'persistentBytes': bytes_of.get(n.name, 0),
            'temporaryBytes': temp,
            'outputs': outputs[n.name],
        }
        if count_of.get(n.name):
            op['parameterCount'] = count_of[n.name]
        if n.name in groups:
            op['colocationGroup'] = groups[n.name]
        if module_path is not None:
            op['modulePath'] = module_path
        op_nodes.append(op)
    edges = []
    for n in nodes:
        for src in n.all_input_nodes:
            tensor, nbytes = edge_tensor(src, outputs[src.name], n)
            edges.append({'from': src.name, 'to': n.name, 'tensor': tensor, 'bytes': nbytes})
    stats = {'parameterCount': meta['parameterCount'], 'parameterBytes': meta['parameterBytes']}
    warnings = list(warnings)
    unused = meta['parameterBytes'] - sum(bytes_of.values())
    if unused > 0:
        warnings.append(f'{unused} bytes of parameters are used by no traced op (unused modules?); '
                        f'they are in stats.parameterBytes but on no node')
    return {'format': 'opgraph', 'version': FORMAT_VERSION, 'name': name, 'nodes': op_nodes,
            'edges': edges, 'warnings': warnings, 'stats': stats, 'meta': meta}


def fx_graph_summary(gm):
    """Plain FX view (node names, ops, edges) for comparing a profile with its FX graph."""
    nodes = list(gm.graph.nodes)
    return {
        'nodes': [{'name': n.name, 'op': n.op, 'target': str(n.target)} for n in nodes],
        'edges': [[src.name, n.name] for n in nodes for src in n.all_input_nodes],
    }


def profile(spec, input_specs, device_name='cpu', repeat=5, warmup=1, seed=0):
    """Builds, traces, shape-propagates and times ``spec`` → (opgraph dict, GraphModule)."""
    try:
        device = torch.device(device_name)
    except RuntimeError:
        device = None
    if device is None or device.type not in ('cpu', 'cuda'):
        raise ProfileError(f'--device "{device_name}": expected cpu, cuda or cuda:K')
    if device.type == 'cuda' and not torch.cuda.is_available():
        raise ProfileError('--device cuda: CUDA is not available in this PyTorch')
    torch.manual_seed(seed)
    model = load_model(spec).eval()
    model.to(device)
    inputs = make_inputs(input_specs, device, seed)
    gm, leaves, trace_warnings = trace_model(model, len(inputs))
    gm.eval()
    try:
        # ShapeProp prints a traceback itself on failure; the message below says it once
        with torch.no_grad(), contextlib.redirect_stderr(io.StringIO()):
            ShapeProp(gm).propagate(*inputs)
    except Exception as e:  # noqa: BLE001 — a model that rejects the given input is a user error
        cause = e.__cause__ or e.__context__ or e
        node = next((n.name for n in gm.graph.nodes if f'node=%{n.name} ' in str(e)), None)
        shapes = ' '.join(','.join(str(d) for d in s) for s, _ in input_specs)
        raise ProfileError(f'running {spec} on --input {shapes} failed'
                           f'{" at node " + repr(node) if node else ""}: {str(cause).splitlines()[0]}')
    times, temps = time_nodes(gm, inputs, device, warmup, repeat)
    params = {id(p): p for p in model.parameters()}
    buffers = {id(b): b for b in model.buffers()}
    meta = {
        'producer': 'opplace_profile.py',
        'callable': spec,
        'torch': torch.__version__,
        'device': str(device),
        'inputs': [{'shape': list(s), 'dtype': dtype_name(d)} for s, d in input_specs],
        'repeat': repeat,
        'warmup': warmup,
        'seed': seed,
        'timing': 'median per-node wall time (torch.fx.Interpreter), microseconds',
        'leafModulesByFallback': leaves,
        'placeholderAndOutputNodes': 'kept as zero-time nodes',
        'parameterBytes': sum(p.numel() * p.element_size() for p in params.values()),
        'parameterCount': sum(p.numel() for p in params.values()),
        'bufferBytes': sum(b.numel() * b.element_size() for b in buffers.values()),
    }
    name = spec.split(':', 1)[1]
    return build_opgraph(gm, times, temps, name, meta, trace_warnings), gm


def check_output_path(out, flag):
    """Fails at once (before profiling) when ``out`` cannot be written or is not ours to overwrite.

    An existing file is replaced only when it is JSON (an earlier profile): ``--out mymodel.py`` or
    ``--out README.md`` must not clobber the user's source.
    """
    if os.path.isdir(out):
        raise ProfileError(f'{out}: {flag} is a directory; give a file name')
    folder = os.path.dirname(os.path.abspath(out))
    if not os.path.isdir(folder):
        raise ProfileError(f'{out}: {flag}: the folder {folder} does not exist')
    if os.path.exists(out):
        try:
            with open(out, encoding='utf-8') as f:
                json.load(f)
        except (OSError, ValueError):
            raise ProfileError(f'{out}: {flag} names an existing file that is not JSON; '
                               'opplace_profile overwrites only its own output — choose another name')


def main(argv=None):
    ap = argparse.ArgumentParser(description='Profile a PyTorch model into an opplace *.opgraph.json')
    ap.add_argument('callable', metavar='MODULE:CALLABLE', help='e.g. torchvision.models:resnet18')
    ap.add_argument('--input', action='append', required=True, metavar='SHAPE[:DTYPE]',
                    help='example input shape, e.g. 1,3,224,224 (repeat for several inputs)')
    ap.add_argument('--device', default='cpu', help='cpu or cuda (or cuda:K)')
    ap.add_argument('--repeat', type=int, default=5, help='timed runs; the median is kept (default 5)')
    ap.add_argument('--warmup', type=int, default=1, help='untimed runs first (default 1)')
    ap.add_argument('--seed', type=int, default=0, help='seed for weights and inputs (default 0)')
    ap.add_argument('--out', required=True, help='output file, e.g. model.opgraph.json')
    ap.add_argument('--dump-fx', metavar='FILE', help='also write the FX graph (nodes, edges) as JSON')
    args = ap.parse_args(argv)
    try:
        if args.repeat < 1 or args.warmup < 0:
            raise ProfileError('--repeat must be ≥ 1 and --warmup ≥ 0')
        specs = [parse_input_spec(s) for s in args.input]
        check_output_path(args.out, '--out')
        if args.dump_fx:
            check_output_path(args.dump_fx, '--dump-fx')
        graph, gm = profile(args.callable, specs, args.device, args.repeat, args.warmup, args.seed)
    except ProfileError as e:
        print(f'opplace_profile: {e}', file=sys.stderr)
        return 2
    try:
        with open(args.out, 'w') as f:
            json.dump(graph, f, indent=1)
            f.write('\n')
        if args.dump_fx:
            with open(args.dump_fx, 'w') as f:
                json.dump(fx_graph_summary(gm), f, indent=1)
    except OSError as e:
        print(f'opplace_profile: {e.filename}: cannot write ({e.strerror})', file=sys.stderr)
        return 2
    total_us = sum(n['computeUs'] for n in graph['nodes'])
    print(f'{args.out}: {len(graph["nodes"])} nodes, {len(graph["edges"])} edges, '
          f'{graph["meta"]["parameterBytes"]} parameter bytes, {total_us / 1000:.2f} ms compute '
          f'on {args.device}', file=sys.stderr)
    return 0


if __name__ == '__main__':
    sys.exit(main())
