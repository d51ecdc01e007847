#!/usr/bin/env python3
"""Run a PyTorch model split across devices as an opplace plan says.

    python3 tools/opplace_apply.py plan.json [MODULE:CALLABLE] [--input 1,3,224,224]
        [--devices cpu,cpu,cpu,cpu | cuda:0,cuda:1] [--check] [--report FILE]

The plan must come from a graph written by ``tools/opplace_profile.py``: its node ids are the
``torch.fx`` node names, which this tool re-creates by tracing the model the same way. When
MODULE:CALLABLE, ``--input`` or ``--seed`` are omitted they are read from that graph's ``meta``
(the plan's ``file`` field names the graph).

How the split runs (an FX-transformed module, so it is exact per op, not only per module):
- every ``call_module`` node's submodule is moved with ``.to(device)`` to its node's device, and
  every parameter/buffer read by a ``get_attr`` node to that node's device;
- before each op, inputs produced on another device are moved there (one move per value and
  target device, tensors inside tuples/lists/dicts included);
- graph inputs are moved to their placeholder's device, and results come back as produced.
Plan device k runs on the k-th entry of ``--devices`` (default: ``cuda:k`` when that many GPUs
exist, else ``cpu`` for all). ``--check`` also runs the unsplit model and exits 1 unless
``torch.allclose`` holds for every output.
"""

import argparse
import contextlib
import copy
import io
import json
import os
import sys

import torch
import torch.fx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import opplace_profile as prof  # noqa: E402  (same tracer → same node names)


class ApplyError(Exception):
    """A problem the user can fix; printed without a traceback."""


def move_to(value, device):
    """Moves every tensor inside ``value`` (nested tuples/lists/dicts) to ``device``."""
    if isinstance(value, torch.Tensor):
        return value.to(device)
    if isinstance(value, tuple):
        return tuple(move_to(v, device) for v in value)
    if isinstance(value, list):
        return [move_to(v, device) for v in value]
    if isinstance(value, dict):
        return {k: move_to(v, device) for k, v in value.items()}
    return value


def read_json(path, what):
    try:
        with open(path) as f:
            return json.load(f)
    except OSError as e:
        raise ApplyError(f'{path}: cannot read the {what} ({e.strerror})')
    except json.JSONDecodeError as e:
        raise ApplyError(f'{path}: not valid JSON ({e})')


def plan_devices(plan, plan_file):
    """node id → plan device index."""
    if not isinstance(plan, dict) or not isinstance(plan.get('schedule'), list):
        raise ApplyError(f'{plan_file}: not an opplace plan (no "schedule" list)')
    if not plan.get('feasible', False):
        raise ApplyError(f'{plan_file}: the plan is infeasible ({plan.get("reason", "no reason given")}), nothing to run')
    out = {}
    for op in plan['schedule']:
        node, device = op.get('node'), op.get('device')
        if not isinstance(node, str) or not isinstance(device, int) or device < 0:
            raise ApplyError(f'{plan_file}: bad schedule entry {json.dumps(op)}')
        out[node] = device
    return out


def device_list(text, needed):
    if text:
        devices = [d.strip() for d in text.split(',') if d.strip()]
    elif torch.cuda.is_available() and torch.cuda.device_count() >= needed:
        devices = [f'cuda:{k}' for k in range(needed)]
    else:
        devices = ['cpu'] * needed
    if len(devices) < needed:
        raise ApplyError(f'the plan uses {needed} devices but --devices lists {len(devices)}: {",".join(devices)}')
    try:
        parsed = [torch.device(d) for d in devices]
    except RuntimeError as e:
        raise ApplyError(f'--devices: {e}')
    for d in parsed:
        if d.type == 'cuda' and (not torch.cuda.is_available() or (d.index or 0) >= torch.cuda.device_count()):
            raise ApplyError(f'--devices: {d} is not available here (use cpu)')
    return parsed


def split_module(gm, node_device, torch_devices):
    """Moves modules/attributes to their devices and inserts transfers → (new GraphModule, stats)."""
    graph = gm.graph
    fx_names = {n.name for n in graph.nodes}
    for name in node_device:
        if name not in fx_names:
            raise ApplyError(f'plan node "{name}" is not in the traced model — was the plan made for another model or input?')
    for n in graph.nodes:
        if n.name not in node_device:
            raise ApplyError(f'node "{n.name}" of the traced model is not in the plan — was the plan made for another model?')

    def dev(n):
        return torch_devices[node_device[n.name]]

    # modules and attributes to their node's device; a weighted module split across devices is an error
    module_device = {}
    for n in graph.nodes:
        if n.op == 'call_module':
            sub = gm.get_submodule(n.target)
            has_weights = any(True for _ in sub.parameters()) or any(True for _ in sub.buffers())
            prev = module_device.get(n.target)
            if prev is not None and prev != dev(n) and has_weights:
                raise ApplyError(f'module "{n.target}" (node "{n.name}") is placed on {dev(n)} and on {prev} by another call; '
                                 f'place with colocation grouping')
            module_device[n.target] = dev(n)
            sub.to(dev(n))
    for n in graph.nodes:
        if n.op == 'get_attr':
            owner_path, _, attr = n.target.rpartition('.')
            owner = gm.get_submodule(owner_path) if owner_path else gm
            value = getattr(owner, attr)
            if isinstance(value, torch.nn.Parameter):
                value.data = value.data.to(dev(n))
            elif isinstance(value, torch.Tensor):
                setattr(owner, attr, value.to(dev(n)))

    moves = {}  # (producer name, device str) → move node
    cross_edges = 0
    for n in list(graph.nodes):
        if n.op in ('placeholder', 'get_attr'):
            continue
        target = dev(n)
        replace = {}
        for src in n.all_input_nodes:
            # by plan device, not torch device: with all-cpu devices the moves still run (as no-ops)
            if node_device[src.name] == node_device[n.name]:
                continue
            cross_edges += 1
            key = (src.name, node_device[n.name])
            if key not in moves:
                with graph.inserting_after(src):
                    moves[key] = graph.call_function(move_to, (src, str(target)))
            replace[src] = moves[key]
        if replace:
            n.args = torch.fx.node.map_arg(n.args, lambda a: replace.get(a, a))
            n.kwargs = torch.fx.node.map_arg(n.kwargs, lambda a: replace.get(a, a))
    graph.lint()
    gm.recompile()
    return gm, {'crossDeviceEdges': cross_edges, 'moves': len(moves)}


def flatten_tensors(value):
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, (tuple, list)):
        return [t for v in value for t in flatten_tensors(v)]
    if isinstance(value, dict):
        return [t for v in value.values() for t in flatten_tensors(v)]
    return []


def apply_plan(plan_file, spec=None, input_texts=None, devices_text=None, seed=None, check=False, atol=1e-5, rtol=1e-4):
    plan = read_json(plan_file, 'plan')
    node_device = plan_devices(plan, plan_file)
    graph_meta = {}
    graph_file = plan.get('file')
    if graph_file and (spec is None or input_texts is None or seed is None):
        candidates = [graph_file, os.path.join(os.path.dirname(os.path.abspath(plan_file)), graph_file)]
        found = next((c for c in candidates if os.path.isfile(c)), None)
        if found:
            graph_meta = read_json(found, 'profiled graph').get('meta', {}) or {}
    spec = spec or graph_meta.get('callable')
    if not spec:
        raise ApplyError(f'{plan_file}: give MODULE:CALLABLE (the plan\'s graph "{graph_file}" does not name one)')
    if input_texts:
        input_specs = [prof.parse_input_spec(t) for t in input_texts]
    elif graph_meta.get('inputs'):
        input_specs = [(tuple(i['shape']), getattr(torch, i.get('dtype', 'float32'))) for i in graph_meta['inputs']]
    else:
        raise ApplyError(f'{plan_file}: give --input (the plan\'s graph does not record its inputs)')
    if seed is None:
        seed = int(graph_meta.get('seed', 0))
    n_devices = max(max(node_device.values()) + 1, len(plan.get('devices') or []))
    torch_devices = device_list(devices_text, n_devices)

    torch.manual_seed(seed)
    model = prof.load_model(spec).eval()
    inputs = prof.make_inputs(input_specs, torch.device('cpu'), seed)
    try:
        gm, _, _ = prof.trace_model(copy.deepcopy(model), len(inputs))
    except prof.ProfileError as e:
        raise ApplyError(str(e))
    split, stats = split_module(gm, node_device, torch_devices)
    split.eval()
    placeholders = [n for n in split.graph.nodes if n.op == 'placeholder']
    moved_inputs = [x.to(torch_devices[node_device[p.name]]) for x, p in zip(inputs, placeholders)]
    try:
        # a traced module prints its generated code on failure; the message below is enough
        with torch.no_grad(), contextlib.redirect_stderr(io.StringIO()):
            out = split(*moved_inputs)
    except Exception as e:  # noqa: BLE001 — e.g. an input shape the model rejects
        shapes = ' '.join(','.join(str(d) for d in s) for s, _ in input_specs)
        raise ApplyError(f'running the split {spec} on input {shapes} failed: {str(e).splitlines()[0] if str(e) else type(e).__name__}')
    used = sorted({node_device[n] for n in node_device})
    report = {
        'plan': plan_file,
        'callable': spec,
        'devices': [str(torch_devices[k]) for k in used],
        'planDevicesUsed': used,
        'nodes': len(node_device),
        'nodesPerDevice': {str(k): sum(1 for d in node_device.values() if d == k) for k in used},
        **stats,
        'outputs': [list(t.shape) for t in flatten_tensors(out)],
    }
    if check:
        with torch.no_grad():
            ref = model(*inputs)
        got = [t.detach().cpu() for t in flatten_tensors(out)]
        want = [t.detach().cpu() for t in flatten_tensors(ref)]
        same = len(got) == len(want) and all(g.shape == w.shape and torch.allclose(g, w, atol=atol, rtol=rtol) for g, w in zip(got, want))
        diff = max((float((g.float() - w.float()).abs().max()) for g, w in zip(got, want) if g.shape == w.shape), default=float('nan'))
        report['check'] = {'allclose': bool(same), 'maxAbsDiff': diff, 'atol': atol, 'rtol': rtol}
    return report


def main(argv=None):
    ap = argparse.ArgumentParser(description='Run a PyTorch model split across devices as an opplace plan says')
    ap.add_argument('plan', help='plan JSON written by `opplace place --json --out plan.json`')
    ap.add_argument('callable', nargs='?', metavar='MODULE:CALLABLE', help='default: from the profiled graph the plan names')
    ap.add_argument('--input', action='append', metavar='SHAPE[:DTYPE]', help='example input shape (default: as profiled)')
    ap.add_argument('--devices', help='torch device per plan device, e.g. cpu,cpu or cuda:0,cuda:1')
    ap.add_argument('--seed', type=int, help='seed for weights and inputs (default: as profiled, else 0)')
    ap.add_argument('--check', action='store_true', help='compare with the unsplit model (exit 1 if not allclose)')
    ap.add_argument('--atol', type=float, default=1e-5)
    ap.add_argument('--rtol', type=float, default=1e-4)
    ap.add_argument('--report', metavar='FILE', help='write the run report as JSON')
    args = ap.parse_args(argv)
    try:
        report = apply_plan(args.plan, args.callable, args.input, args.devices, args.seed, args.check, args.atol, args.rtol)
    except (ApplyError, prof.ProfileError) as e:
        print(f'opplace_apply: {e}', file=sys.stderr)
        return 2
    if args.report:
        try:
            with open(args.report, 'w') as f:
                json.dump(report, f, indent=1)
                f.write('\n')
        except OSError as e:
            print(f'opplace_apply: {e.filename}: cannot write the report ({e.strerror})', file=sys.stderr)
            return 2
    per = ', '.join(f'{report["devices"][i]} (plan device {k}): {report["nodesPerDevice"][str(k)]} ops'
                    for i, k in enumerate(report['planDevicesUsed']))
    print(f'ran {report["callable"]} split over {len(report["planDevicesUsed"])} devices — {per}; '
          f'{report["crossDeviceEdges"]} cross-device edges, {report["moves"]} transfers')
    if 'check' in report:
        c = report['check']
        print(f'check vs unsplit model: {"allclose" if c["allclose"] else "MISMATCH"} (max |diff| {c["maxAbsDiff"]:.3g})')
        if not c['allclose']:
            return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
