// The options module: each list, limit and default is used by the front ends from here, and a
// bad value is one OpplaceError naming the option as that front end spells it.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEVICE_PRESETS } from '../../algorithms/cost/devices';
import { INTERCONNECT_PRESETS } from '../../algorithms/cost/interconnect';
import { isOpplaceError } from '../../algorithms/errors';
import {
  ALGORITHMS,
  CLI_INPUT_DEFAULTS,
  cliLabel,
  COMPARE_ALGORITHMS,
  DEFAULTS,
  DEVICE_PRESET_IDS,
  DTYPE_SETTINGS,
  DTYPES,
  engineLabel,
  GROUPINGS,
  INTERCONNECTS,
  LIMITS,
  MODEL_FORMATS,
  OPTIMIZERS,
  parsePlacementInput,
  PIPELINE_SCHEDULES,
  PIPELINE_SPLITS,
  presetInterconnect,
  resolvePlacement,
  SETTING_DEFAULTS,
} from '../../algorithms/options';
import { placementOptions, prepareOptions, parseTraining } from '../../cli/placementArgs';
import { resolveSettings } from '../../extension/settings';
import { isPlacementOptions } from '../../webview/protocol';
import { placeGraph } from '../../algorithms/placement/index';
import { REPO } from '../helpers/paths';
import { main } from '../../cli/main';
import { memoryIO } from '../../cli/io';

const throwsNaming = (f: () => unknown, re: RegExp) => assert.throws(f, (e: unknown) => isOpplaceError(e) && re.test((e as Error).message), String(re));

describe('options module: lists, limits, defaults', () => {
  it('lists: every placer once, compare in table order over the same set, presets from the cost model', () => {
    assert.deepEqual([...ALGORITHMS].sort(), [...COMPARE_ALGORITHMS].sort());
    assert.equal(new Set(ALGORITHMS).size, ALGORITHMS.length);
    assert.deepEqual(COMPARE_ALGORITHMS.slice(0, 3), ['m-topo', 'm-etf', 'm-sct'], "Baechi's placers first");
    assert.deepEqual([...GROUPINGS], ['none', 'colocation', 'coplace']);
    assert.deepEqual([...DTYPE_SETTINGS], ['auto', ...DTYPES]);
    assert.deepEqual([...DEVICE_PRESET_IDS], Object.keys(DEVICE_PRESETS));
    assert.deepEqual([...INTERCONNECTS], Object.keys(INTERCONNECT_PRESETS));
    assert.deepEqual([...MODEL_FORMATS], ['onnx', 'opgraph', 'dnn-partitioning', 'stg']);
    assert.deepEqual([...OPTIMIZERS], ['sgd', 'momentum', 'adam']);
    assert.deepEqual([...PIPELINE_SPLITS], ['sequential', 'contiguous', 'any']);
    assert.deepEqual([...PIPELINE_SCHEDULES], ['gpipe', '1f1b']);
    for (const id of DEVICE_PRESET_IDS) assert.ok(Object.hasOwn(INTERCONNECT_PRESETS, presetInterconnect(id)), id);
    assert.equal(presetInterconnect('toString'), 'pcie4', 'own keys only');
  });

  it('package.json offers the same lists and defaults as the options module', () => {
    const props = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')).contributes.configuration.properties;
    assert.deepEqual(props['opplace.algorithm'].enum, [...ALGORITHMS]);
    assert.deepEqual(props['opplace.grouping'].enum, [...GROUPINGS]);
    assert.deepEqual(props['opplace.dtype'].enum, [...DTYPE_SETTINGS]);
    assert.deepEqual(props['opplace.devicePreset'].enum, [...DEVICE_PRESET_IDS]);
    assert.equal(props['opplace.devices'].maximum, LIMITS.maxDevices);
    assert.equal(props['opplace.devices'].default, SETTING_DEFAULTS.devices);
    assert.equal(props['opplace.fusion'].default, SETTING_DEFAULTS.fuse);
    assert.equal(props['opplace.dtype'].default, SETTING_DEFAULTS.dtype);
    assert.equal(props['opplace.devicePreset'].default, SETTING_DEFAULTS.devicePreset);
    assert.equal(props['opplace.algorithm'].default, DEFAULTS.algorithm);
    assert.equal(props['opplace.grouping'].default, DEFAULTS.grouping);
    assert.equal(props['opplace.batchSize'].default, DEFAULTS.batch);
    for (const name of INTERCONNECTS) assert.ok(props['opplace.interconnect'].markdownDescription.includes(`\`${name}\``), name);
  });

  it('the command-line help offers the lists of the module', async () => {
    const help = async (...args: string[]) => {
      const io = memoryIO();
      assert.equal(await main([...args, '--help'], io), 0, io.stderr);
      return io.stdout;
    };
    const place = await help('place');
    assert.ok(place.includes(`--grouping G       ${GROUPINGS.join(' | ')} (default ${DEFAULTS.grouping})`), place);
    for (const text of [place, await help('inspect'), await help('pipeline')]) {
      assert.ok(text.includes(`--format F         ${MODEL_FORMATS.join(' | ')}`), text);
      assert.ok(text.includes(`--dtype D          ${DTYPES.join(' | ')} for the cost model`), text);
      assert.ok(text.includes(DEVICE_PRESET_IDS.join(', ')), text);
    }
  });

  it('defaults: the CLI and the settings fill in what is left out from the module', () => {
    const cli = placementOptions({});
    assert.deepEqual(cli, {
      algorithm: DEFAULTS.algorithm,
      devices: DEFAULTS.devices,
      memoryLimits: Array(DEFAULTS.devices).fill(16 * 2 ** 30),
      comm: DEFAULTS.comm,
      grouping: DEFAULTS.grouping,
      fuse: DEFAULTS.fuse,
    });
    assert.deepEqual(prepareOptions({}), { format: undefined, batch: DEFAULTS.batch, dtype: undefined, device: undefined });
    assert.equal(parseTraining('adam'), 'adam');
    const s = resolveSettings({});
    const preset = DEVICE_PRESETS[SETTING_DEFAULTS.devicePreset];
    assert.deepEqual(s.placement, {
      algorithm: DEFAULTS.algorithm,
      devices: SETTING_DEFAULTS.devices,
      memoryLimits: Array(SETTING_DEFAULTS.devices).fill(preset.memoryBytes),
      comm: presetInterconnect(SETTING_DEFAULTS.devicePreset),
      grouping: DEFAULTS.grouping,
      fuse: SETTING_DEFAULTS.fuse,
    });
    assert.deepEqual(s.load, { batch: DEFAULTS.batch, device: SETTING_DEFAULTS.devicePreset });
  });

  it('one device cap for the CLI, the settings, the engine, the topology and the webview protocol', async () => {
    const max = LIMITS.maxDevices;
    assert.equal(placementOptions({ devices: String(max), memory: '1GiB' }).devices, max);
    throwsNaming(() => placementOptions({ devices: String(max + 1) }), new RegExp(`--devices must be at most ${max}, got "${max + 1}"`));
    throwsNaming(() => resolveSettings({ devices: max + 1 }), new RegExp(`setting opplace\\.devices must be at most ${max}`));
    throwsNaming(() => placementOptions({ topology: '64x64:nvlink4/ib200' }), new RegExp(`4096 devices, at most ${max}`));
    const ok = { algorithm: 'm-etf', devices: max, memoryLimits: Array(max).fill(1), comm: 'none', grouping: 'none', fuse: false };
    assert.equal(isPlacementOptions(ok), true);
    assert.equal(isPlacementOptions({ ...ok, devices: max + 1, memoryLimits: Array(max + 1).fill(1) }), false);
    const graph = {
      name: 'g',
      nodes: [{ id: 'a', opType: 'X', computeUs: 1, persistentBytes: 0, temporaryBytes: 0, inputs: [], outputs: [] }],
      edges: [],
      warnings: [],
    };
    await assert.rejects(
      placeGraph(graph as never, { ...ok, devices: max + 1, memoryLimits: Array(max + 1).fill(1) } as never),
      /devices must be at most 1024/,
    );
  });

  it('other limits: batch, budget, seed, spec length', () => {
    throwsNaming(() => prepareOptions({ batch: String(LIMITS.maxBatch + 1) }), /--batch must be at most 1000000/);
    throwsNaming(() => placementOptions({ 'budget-ms': String(LIMITS.maxBudgetMs + 1) }), /--budget-ms must be a number of milliseconds in 0…3600000/);
    throwsNaming(() => placementOptions({ seed: String(LIMITS.maxSeed + 1) }), /--seed must be at most 4294967295/);
    throwsNaming(() => placementOptions({ comm: '1'.repeat(LIMITS.maxSpecLength + 1) }), /--comm must be at most 200 characters/);
    assert.equal(
      isPlacementOptions({ algorithm: 'm-etf', devices: 1, memoryLimits: [1], comm: 'x'.repeat(LIMITS.maxSpecLength + 1), grouping: 'none', fuse: false }),
      false,
    );
  });
});

describe('options module: one parse', () => {
  it('resolves the link and the topology once', () => {
    const r = parsePlacementInput({ topology: '2x2:nvlink4/ib200' }, CLI_INPUT_DEFAULTS, cliLabel);
    assert.equal(r.options.devices, 4);
    assert.equal(r.options.topology, '2x2:nvlink4/ib200');
    assert.equal(r.topology?.links[0].name, 'nvlink4');
    assert.equal(r.topology?.links[1].name, 'ib200');
    assert.equal(parsePlacementInput({ comm: '10:25' }, CLI_INPUT_DEFAULTS).link.latencyUs, 10);
    const again = resolvePlacement(r.options);
    assert.deepEqual(again.options, r.options, 'a resolved options object resolves to itself');
  });

  const cases: [string, Record<string, unknown>, RegExp, RegExp][] = [
    ['algorithm', { algorithm: 'magic' }, /^--algorithm must be one of m-topo/, /^setting opplace\.algorithm must be one of/],
    ['devices', { devices: '0' }, /^--devices must be an integer ≥ 1, got "0"/, /^setting opplace\.devices must be an integer ≥ 1/],
    ['memory', { memory: '1GiB,2GiB,3GiB' }, /^--memory lists 3 limits but --devices is/, /^setting opplace\.memoryLimits lists 3 limits/],
    ['comm', { comm: 'smoke' }, /^--comm: unknown interconnect "smoke"/, /^setting opplace\.interconnect: unknown interconnect "smoke"/],
    ['grouping', { grouping: 'all' }, /^--grouping must be one of none, colocation, coplace, got "all"/, /^setting opplace\.grouping must be one of/],
    ['fuse', { fuse: 'yes' }, /^--fuse must be true or false/, /^setting opplace\.fusion must be true or false/],
  ];
  for (const [key, input, cliRe, settingRe] of cases) {
    it(`a bad ${key} names the option: --flag on the command line, the setting in the extension`, () => {
      throwsNaming(() => parsePlacementInput(input, CLI_INPUT_DEFAULTS, cliLabel), cliRe);
      const raw: Record<string, unknown> = { ...input };
      if ('memory' in raw) raw.memoryLimits = raw.memory;
      if ('comm' in raw) raw.interconnect = raw.comm;
      if ('fuse' in raw) raw.fusion = raw.fuse;
      if (typeof raw.devices === 'string') raw.devices = Number(raw.devices);
      throwsNaming(() => resolveSettings(raw), settingRe);
      throwsNaming(() => parsePlacementInput(input, CLI_INPUT_DEFAULTS, engineLabel), new RegExp(`^${key === 'memory' ? 'memoryLimits' : key}`));
    });
  }

  it('theta, budget, seed, topology and refine errors name their option', () => {
    throwsNaming(() => placementOptions({ theta: '0' }), /^--theta must be a number in \(0, 1\], got "0"/);
    throwsNaming(() => placementOptions({ 'budget-ms': 'x' }), /^--budget-ms must be/);
    throwsNaming(() => placementOptions({ seed: '-1' }), /^--seed must be an integer ≥ 0/);
    throwsNaming(
      () => placementOptions({ topology: '2x2:nvlink4/ib200', comm: 'pcie4' }),
      /^--topology sets the links between devices, so --comm cannot be given with it/,
    );
    throwsNaming(() => placementOptions({ topology: '2x2:nvlink4/ib200', devices: '3' }), /topology "2x2:nvlink4\/ib200" has 2 × 2 = 4 devices but 3/);
    throwsNaming(() => placementOptions({ refine: true, algorithm: 'single' }), /^--refine cannot start from "single"/);
  });

  it('every command names the option of a bad interconnect the same way', async () => {
    for (const args of [
      ['place', 'model.onnx', '--comm', 'smoke'],
      [
        'diffusion',
        'graph',
        '--out',
        path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'opplace-')), 'g.json'),
        '--steps',
        '2',
        '--midpoints',
        '1',
        '--rounds',
        '0',
        '--score-time-us',
        '1',
        '--speedup',
        '2',
        '--comm',
        'smoke',
      ],
    ]) {
      const io = memoryIO();
      assert.notEqual(await main(args, io), 0);
      assert.match(io.stderr, /--comm: unknown interconnect "smoke"/, args[0]);
    }
  });

  it('the engine refuses what the webview protocol refuses', () => {
    const good = { algorithm: 'm-etf', devices: 2, memoryLimits: [1, 2], comm: 'none', grouping: 'none', fuse: false };
    const bad = [{ algorithm: 'x' }, { devices: 0 }, { grouping: 'x' }, { fuse: 1 }, { theta: Number.NaN }, { memoryLimits: [1] }];
    assert.equal(isPlacementOptions(good), true);
    assert.doesNotThrow(() => resolvePlacement(good as never));
    for (const patch of bad) {
      assert.equal(isPlacementOptions({ ...good, ...patch }), false, JSON.stringify(patch));
      assert.throws(() => resolvePlacement({ ...good, ...patch } as never), isOpplaceError, JSON.stringify(patch));
    }
  });
});
