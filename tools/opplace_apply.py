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

A pipeline plan (``opplace pipeline --out plan.json``) runs as a pipeline: its M microbatches (inputs
of the profiled shape, seeds seed … seed + M − 1) go through the stages, each stage running its ops
on its device, in the order of the plan's simulated schedule (GPipe or 1F1B); a stage starts a
microbatch only when the stages before it have produced that microbatch's inputs, else the run
stops naming the stage and microbatch. ``--check`` compares every microbatch's output with the
unsplit model on that microbatch. A training plan (its schedule has backward tasks) also runs
the backwards in schedule order: each stage sends the gradients of what it received back to the
stage that sent it, the last stage starts from the sum of the outputs as the loss, and ``--check``
compares every parameter's accumulated gradient with one step of the unsplit model over the same
microbatches. The plan's synthesised ``…/grad`` ops are autograd's backward of their forward op.
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


def is_pipeline_plan(plan):
    return isinstance(plan, dict) and plan.get('objective') == 'throughput'


def plan_devices(plan, plan_file):
    """node id → plan device index."""
    if is_pipeline_plan(plan):
        return pipeline_devices(plan, plan_file)
    if not isinstance(plan, dict) or not isinstance(plan.get('schedule'), list):
        raise ApplyError(f'{plan_file}: not an opplace plan (no "schedule" list, nor "stages" of a pipeline plan)')
    if not plan.get('feasible', False):
        raise ApplyError(f'{plan_file}: the plan is infeasible ({plan.get("reason", "no reason given")}), nothing to run')
    out = {}
    for op in plan['schedule']:
        node, device = op.get('node'), op.get('device')
        if not isinstance(node, str) or not isinstance(device, int) or device < 0:
            raise ApplyError(f'{plan_file}: bad schedule entry {json.dumps(op)}')
        out[node] = device
    return out


GRAD_SUFFIX = '/grad'


def pipeline_devices(plan, plan_file):
    """node id → plan device of a pipeline plan (its "assignment"), synthesised backward ops left out."""
    if not plan.get('feasible', False):
        raise ApplyError(f'{plan_file}: the plan is infeasible ({plan.get("reason", "no reason given")}), nothing to run')
    assignment = plan.get('assignment')
    if not isinstance(assignment, dict) or not isinstance(plan.get('stages'), list):
        raise ApplyError(f'{plan_file}: a pipeline plan needs "assignment" and "stages"')
    out = {}
    for node, device in assignment.items():
        if not isinstance(device, int) or device < 0:
            raise ApplyError(f'{plan_file}: assignment of "{node}" is not a device index: {json.dumps(device)}')
        if node.endswith(GRAD_SUFFIX) and node[:-len(GRAD_SUFFIX)] in assignment:
            continue  # a backward op of `--training`: autograd runs it with its forward op
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


def check_nodes(gm, node_device):
    """Every traced node in the plan and every plan node traced, else one ApplyError naming it."""
    fx_names = {n.name for n in gm.graph.nodes}
    for name in node_device:
        if name not in fx_names:
            raise ApplyError(f'plan node "{name}" is not in the traced model — was the plan made for another model or input?')
    for n in gm.graph.nodes:
        if n.name not in node_device:
            raise ApplyError(f'node "{n.name}" of the traced model is not in the plan — was the plan made for another model?')


def place_weights(gm, node_device, torch_devices):
    """Moves every call_module's submodule and get_attr tensor to its node's device."""
    graph = gm.graph

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


def split_module(gm, node_device, torch_devices):
    """Moves modules/attributes to their devices and inserts transfers → (new GraphModule, stats)."""
    graph = gm.graph
    check_nodes(gm, node_device)

    def dev(n):
        return torch_devices[node_device[n.name]]

    place_weights(gm, node_device, torch_devices)
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
    if is_pipeline_plan(plan):
        check_nodes(gm, node_device)
        outputs, batches, report = run_pipeline(plan, plan_file, gm, node_device, torch_devices, input_specs, seed, spec)
        if check:
            results = []
            for out, inp in zip(outputs, batches):
                with torch.no_grad():
                    results.append(compare_outputs(out, model(*inp), atol, rtol))
            report['check'] = {'allclose': all(r[0] for r in results), 'maxAbsDiff': max(r[1] for r in results), 'atol': atol, 'rtol': rtol, 'microbatches': len(results)}
            if report['pipeline']['training']:
                report['check']['gradients'] = check_gradients(gm, model, batches, atol, rtol)
                report['check']['allclose'] = report['check']['allclose'] and report['check']['gradients']['allclose']
        return report
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
        same, diff = compare_outputs(out, ref, atol, rtol)
        report['check'] = {'allclose': same, 'maxAbsDiff': diff, 'atol': atol, 'rtol': rtol}
    return report


def compare_outputs(out, ref, atol, rtol):
    """(every output allclose to the reference, largest |difference|)."""
    got = [t.detach().cpu() for t in flatten_tensors(out)]
    want = [t.detach().cpu() for t in flatten_tensors(ref)]
    same = len(got) == len(want) and all(g.shape == w.shape and torch.allclose(g, w, atol=atol, rtol=rtol) for g, w in zip(got, want))
    diff = max((float((g.float() - w.float()).abs().max()) for g, w in zip(got, want) if g.shape == w.shape), default=float('nan'))
    return bool(same), diff


def pipeline_stages(plan, plan_file, gm, node_device):
    """[(stage index, plan device, [FX nodes in program order])] in pipeline order."""
    stages = sorted(plan['stages'], key=lambda st: st.get('index', 0))
    stage_of_device = {}
    for st in stages:
        if not isinstance(st.get('device'), int) or not isinstance(st.get('index'), int):
            raise ApplyError(f'{plan_file}: a stage needs an integer "index" and "device": {json.dumps(st)[:80]}')
        stage_of_device[st['device']] = st['index']
    nodes = {st['index']: [] for st in stages}
    for n in gm.graph.nodes:
        d = node_device[n.name]
        if d not in stage_of_device:
            raise ApplyError(f'{plan_file}: node "{n.name}" is on plan device {d}, which runs no stage of the plan')
        nodes[stage_of_device[d]].append(n)
    return [(st['index'], st['device'], nodes[st['index']]) for st in stages]


def task_order(plan, plan_file, stages):
    """(stage, microbatch, kind) of every task in the order of the plan's simulated schedule.

    Backward tasks only for a training plan (the plan's tasks have some); without tasks (a plan
    that was not simulated) the forwards run microbatch by microbatch."""
    m = plan['microbatches']
    busy = [index for index, _, nodes in stages if nodes]
    tasks = [t for t in plan.get('tasks') or [] if t.get('kind') in ('forward', 'backward')]
    if not tasks:
        return [(s, k, 'forward') for k in range(m) for s in busy]
    kinds = sorted({t['kind'] for t in tasks})
    # by start, then end (a 0 µs task before the one it feeds at the same instant), forwards before
    # backwards, forwards down the stages and backwards up them
    def key(t):
        fwd = t['kind'] == 'forward'
        return (t['startUs'], t['endUs'], 0 if fwd else 1, t['stage'] if fwd else -t['stage'], t['microbatch'])
    order = [(t['stage'], t['microbatch'], t['kind']) for t in sorted(tasks, key=key)]
    for kind in kinds:
        got = sorted((s, k) for s, k, c in order if c == kind)
        stages_of_kind = sorted({s for s, _ in got})
        if got != sorted((s, k) for s in stages_of_kind for k in range(m)) or not set(stages_of_kind) <= set(busy):
            raise ApplyError(f'{plan_file}: the schedule\'s {kind} tasks do not run each stage on each of the {m} microbatches once')
    if 'forward' in kinds and sorted({s for s, _, c in order if c == 'forward'}) != busy:
        raise ApplyError(f'{plan_file}: the schedule\'s forward tasks do not run every stage on each of the {m} microbatches once')
    return order


def received(value, device, grad):
    """A tensor (or nest of them) as the next stage receives it: on its device, cut from the sender's
    autograd graph; a leaf that collects its gradient when training."""
    if isinstance(value, torch.Tensor):
        out = value.detach().to(device)
        return out.requires_grad_(grad and out.is_floating_point())
    if isinstance(value, (tuple, list)):
        return type(value)(received(v, device, grad) for v in value)
    if isinstance(value, dict):
        return {k: received(v, device, grad) for k, v in value.items()}
    return value


class StageRunner(torch.fx.Interpreter):
    """Runs single FX nodes on their stage's device; inputs from other devices are moved there."""

    def __init__(self, gm, device_of):
        super().__init__(gm)
        self.device_of = device_of

    def fetch_args_kwargs_from_env(self, n):
        args, kwargs = super().fetch_args_kwargs_from_env(n)
        target = self.device_of[n.name]
        return move_to(args, target), move_to(kwargs, target)


def run_pipeline(plan, plan_file, gm, node_device, torch_devices, input_specs, seed, spec):
    """Runs the plan's microbatches through its stages in schedule order → (outputs per microbatch, inputs, report).

    A stage computes on its own copies of what it receives (received()); in a training plan a
    backward task of stage s on microbatch k sends the gradients its receivers collected back
    through s (and, on the last stage, starts from the output's sum as the loss), so parameter
    gradients accumulate over the microbatches as in one step of the unsplit model."""
    stages = pipeline_stages(plan, plan_file, gm, node_device)
    order = task_order(plan, plan_file, stages)
    training = any(kind == 'backward' for _, _, kind in order)
    place_weights(gm, node_device, torch_devices)
    gm.eval()
    gm.zero_grad(set_to_none=True)
    device_of = {n.name: torch_devices[node_device[n.name]] for n in gm.graph.nodes}
    stage_of = {n.name: index for index, _, nodes in stages for n in nodes}
    placeholders = [n for n in gm.graph.nodes if n.op == 'placeholder']
    m = plan['microbatches']
    inputs = [prof.make_inputs(input_specs, torch.device('cpu'), seed + k) for k in range(m)]
    envs = [{index: {} for index, _, _ in stages} for _ in range(m)]  # microbatch → stage → node → value
    produced = [{} for _ in range(m)]  # microbatch → node name → value (in its own stage)
    receipts = [{} for _ in range(m)]  # microbatch → (node name, receiving stage) → received copy
    backward_done = set()
    outputs = [None] * m
    runner = StageRunner(gm, device_of)
    cross = {(src.name, n.name) for n in gm.graph.nodes for src in n.all_input_nodes if stage_of[src.name] != stage_of[n.name]}
    nodes_of = {index: nodes for index, _, nodes in stages}
    output_stage = next(stage_of[n.name] for n in gm.graph.nodes if n.op == 'output')

    def forward(s, k):
        env = envs[k][s]
        for n in nodes_of[s]:
            for src in n.all_input_nodes:
                if src in env:
                    continue
                if src.name not in produced[k]:
                    raise ApplyError(f'{plan_file}: the schedule runs stage {s} on microbatch {k} before stage {stage_of[src.name]} produced "{src.name}" for it')
                env[src] = receipts[k][(src.name, s)] = received(produced[k][src.name], device_of[n.name], training)
            if n.op == 'placeholder':
                env[n] = inputs[k][placeholders.index(n)].to(device_of[n.name])
            else:
                runner.env = env
                try:
                    with torch.set_grad_enabled(training), contextlib.redirect_stderr(io.StringIO()):
                        env[n] = runner.run_node(n)
                except ApplyError:
                    raise
                except Exception as e:  # noqa: BLE001 — e.g. an input shape the model rejects
                    raise ApplyError(f'running {spec} stage {s} on microbatch {k} failed at node "{n.name}": {str(e).splitlines()[0] if str(e) else type(e).__name__}')
            produced[k][n.name] = env[n]
            if n.op == 'output':
                outputs[k] = env[n]

    def backward(s, k):
        tensors, grads = [], []
        for (name, t), copy in receipts[k].items():
            if stage_of[name] != s:
                continue
            if (t, k) not in backward_done:
                raise ApplyError(f'{plan_file}: the schedule runs the backward of stage {s} on microbatch {k} before that of stage {t}, which needs "{name}" from it')
            for sent, got in zip(flatten_tensors(produced[k][name]), flatten_tensors(copy)):
                if got.grad is not None and sent.requires_grad:
                    tensors.append(sent)
                    grads.append(got.grad.to(sent.device))
        if s == output_stage:
            if outputs[k] is None:
                raise ApplyError(f'{plan_file}: the schedule runs the backward of stage {s} on microbatch {k} before its forward')
            tensors.append(sum(t.sum() for t in flatten_tensors(outputs[k]) if t.requires_grad))
            grads.append(None)
        if tensors:
            torch.autograd.backward(tensors, [g if g is not None else torch.ones_like(t) for t, g in zip(tensors, grads)])
        backward_done.add((s, k))

    for s, k, kind in order:
        (backward if kind == 'backward' else forward)(s, k)
    report = {
        'plan': plan_file,
        'callable': spec,
        'pipeline': {
            'split': plan.get('split'),
            'schedule': plan.get('schedule'),
            'microbatches': m,
            'training': training,
            'stages': [{'stage': index, 'planDevice': d, 'device': str(torch_devices[d]), 'nodes': len(nodes)} for index, d, nodes in stages],
            'order': [f'{"B" if kind == "backward" else "F"}{s}.{k}' for s, k, kind in order],
        },
        'nodes': len(node_device),
        'crossStageEdges': len(cross),
        'outputs': [list(t.shape) for t in flatten_tensors(outputs[0])],
    }
    return outputs, inputs, report


def check_gradients(gm, model, batches, atol, rtol):
    """Parameter gradients of the pipelined run against one step of the unsplit model over the same microbatches."""
    model.zero_grad(set_to_none=True)
    for inp in batches:
        sum(t.sum() for t in flatten_tensors(model(*inp))).backward()
    want = dict(model.named_parameters())
    same, diff, count = True, 0.0, 0
    for name, p in gm.named_parameters():
        w = want[name].grad
        if p.grad is None or w is None:
            same = same and p.grad is None and w is None
            continue
        g = p.grad.detach().cpu()
        same = same and g.shape == w.shape and bool(torch.allclose(g, w, atol=atol, rtol=rtol))
        diff = max(diff, float((g - w).abs().max()))
        count += 1
    return {'allclose': same, 'maxAbsDiff': diff, 'parameters': count}


def main(argv=None):
    ap = argparse.ArgumentParser(description='Run a PyTorch model split across devices as an opplace plan says')
    ap.add_argument('plan', help='plan JSON written by `opplace place --out plan.json` or `opplace pipeline --out plan.json`')
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
    if 'pipeline' in report:
        p = report['pipeline']
        per = ', '.join(f'stage {st["stage"]} on {st["device"]} (plan device {st["planDevice"]}): {st["nodes"]} ops' for st in p['stages'])
        print(f'ran {report["callable"]} as a pipeline of {len(p["stages"])} stages × {p["microbatches"]} microbatches in {p["schedule"]} order — '
              f'{per}; {report["crossStageEdges"]} cross-stage edges')
    else:
        per = ', '.join(f'{report["devices"][i]} (plan device {k}): {report["nodesPerDevice"][str(k)]} ops'
                        for i, k in enumerate(report['planDevicesUsed']))
        print(f'ran {report["callable"]} split over {len(report["planDevicesUsed"])} devices — {per}; '
              f'{report["crossDeviceEdges"]} cross-device edges, {report["moves"]} transfers')
    if 'check' in report:
        c = report['check']
        each = f' on each of {c["microbatches"]} microbatches' if 'microbatches' in c else ''
        grads = ''
        if 'gradients' in c:
            g = c['gradients']
            grads = f'; gradients of {g["parameters"]} parameters {"allclose" if g["allclose"] else "MISMATCH"} (max |diff| {g["maxAbsDiff"]:.3g})'
        print(f'check vs unsplit model: {"allclose" if c["allclose"] else "MISMATCH"}{each} (max |diff| {c["maxAbsDiff"]:.3g}){grads}')
        if not c['allclose']:
            return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
