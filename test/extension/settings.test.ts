import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEVICE_PRESETS } from '../../algorithms/cost/devices';
import {
  DEFAULT_DEVICE_PRESET,
  DEVICE_PRESET_IDS,
  presetInterconnect,
  SETTING_ALGORITHMS,
  SETTING_KEYS,
  mergeViewerOptions,
  withViewerDims,
  memoryLimitsToSetting,
  resolveSettings,
} from '../../extension/settings';
import { parseMemoryLimits } from '../../algorithms/units';
import { REPO } from '../helpers/paths';

const GiB = 2 ** 30;
const MiB = 2 ** 20;

describe('extension settings → placement options', () => {
  it('defaults: 2 devices of the default preset, m-etf, preset interconnect, batch 1, stored dtype', () => {
    const r = resolveSettings({});
    const preset = DEVICE_PRESETS[DEFAULT_DEVICE_PRESET];
    assert.equal(r.placement.devices, 2);
    assert.deepEqual(r.placement.memoryLimits, [preset.memoryBytes, preset.memoryBytes]);
    assert.equal(r.placement.comm, presetInterconnect(DEFAULT_DEVICE_PRESET));
    assert.equal(r.placement.algorithm, 'm-etf');
    assert.equal(r.placement.grouping, 'colocation');
    assert.equal(r.placement.fuse, true);
    assert.deepEqual(r.load, { batch: 1, device: DEFAULT_DEVICE_PRESET });
  });

  it('a device preset supplies memory and interconnect when those settings are empty', () => {
    const r = resolveSettings({ devicePreset: 'h100-sxm', devices: 4, memoryLimits: '', interconnect: '' });
    assert.deepEqual(r.placement.memoryLimits, [80e9, 80e9, 80e9, 80e9]);
    assert.equal(r.placement.comm, 'nvlink4');
    assert.equal(r.load.device, 'h100-sxm', 'the preset also costs unmeasured ops');
    const t4 = resolveSettings({ devicePreset: 't4', devices: 1 });
    assert.deepEqual(t4.placement.memoryLimits, [16e9]);
    assert.equal(t4.placement.comm, 'pcie4');
  });

  it('an STG task graph (no tensor sizes) defaults to interconnect none, as on the command line; a chosen one wins', () => {
    assert.equal(resolveSettings({ devicePreset: 'h100-sxm', interconnect: '' }, '/w/rand0000.stg').placement.comm, 'none');
    assert.equal(resolveSettings({ devicePreset: 'h100-sxm', interconnect: '' }, '/w/model.onnx').placement.comm, 'nvlink4');
    assert.equal(resolveSettings({ devicePreset: 'h100-sxm', interconnect: 'pcie4' }, '/w/rand0000.STG').placement.comm, 'pcie4');
  });

  it('explicit limits and interconnect override the preset; per-device lists map one to one', () => {
    const r = resolveSettings({ devicePreset: 'a100-80gb', devices: 3, memoryLimits: '16GiB, 8GiB,512MiB', interconnect: 'pcie4' });
    assert.deepEqual(r.placement.memoryLimits, [16 * GiB, 8 * GiB, 512 * MiB]);
    assert.equal(r.placement.comm, 'pcie4');
    const one = resolveSettings({ devices: 3, memoryLimits: '1GiB' });
    assert.deepEqual(one.placement.memoryLimits, [GiB, GiB, GiB]);
  });

  it('accepts limits as a JSON list of sizes or byte counts', () => {
    assert.deepEqual(resolveSettings({ devices: 2, memoryLimits: ['1GiB', 1024] }).placement.memoryLimits, [GiB, 1024]);
  });

  it('maps algorithm, grouping, fusion, batch size and dtype', () => {
    const r = resolveSettings({ algorithm: 'm-sct', grouping: 'none', fusion: false, batchSize: 8, dtype: 'fp16' });
    assert.equal(r.placement.algorithm, 'm-sct');
    assert.equal(r.placement.grouping, 'none');
    assert.equal(r.placement.fuse, false);
    assert.deepEqual(r.load, { batch: 8, dtype: 'fp16', device: DEFAULT_DEVICE_PRESET });
  });

  it("opplace.dims and opplace.inputShapes: the strings of --dim and --input-shape, parsed by the same function; the viewer's dims go over them", () => {
    const r = resolveSettings({ dims: ['seq=128', ' past=3 '], inputShapes: ['images=1x3x640x640'] });
    assert.deepEqual({ ...r.load.dims }, { seq: 128, past: 3 });
    assert.deepEqual({ ...r.load.inputShapes }, { images: [1, 3, 640, 640] });
    assert.deepEqual(resolveSettings({ dims: [], inputShapes: [''] }).load, { batch: 1, device: DEFAULT_DEVICE_PRESET }, 'empty lists: no dims');
    const viewer = withViewerDims(r.load, ['seq=64', 'beams=4']);
    assert.deepEqual({ ...viewer.dims }, { seq: 64, past: 3, beams: 4 });
    assert.equal(withViewerDims(r.load, undefined), r.load);
    assert.throws(() => withViewerDims(r.load, ['seq=0']), /viewer dims seq must be/);
  });

  const bad: [string, Record<string, unknown>, RegExp][] = [
    ['devices', { devices: 0 }, /setting opplace\.devices must be an integer ≥ 1, got 0/],
    ['devices', { devices: 2.5 }, /opplace\.devices/],
    ['devices', { devices: 1025 }, /setting opplace\.devices must be at most 1024, got 1025/],
    ['memoryLimits', { devices: 2, memoryLimits: '1GiB,2GiB,3GiB' }, /setting opplace\.memoryLimits lists 3 limits but setting opplace\.devices is 2/],
    ['memoryLimits', { memoryLimits: '12 parsecs' }, /opplace\.memoryLimits: invalid memory limit/],
    ['memoryLimits', { memoryLimits: 42 }, /opplace\.memoryLimits must be a size/],
    ['algorithm', { algorithm: 'm-xyz' }, /opplace\.algorithm must be one of m-topo, m-etf, m-sct/],
    ['interconnect', { interconnect: 'smoke-signals' }, /opplace\.interconnect: unknown interconnect "smoke-signals"/],
    ['devicePreset', { devicePreset: 'tpu' }, /opplace\.devicePreset must be one of/],
    ['fusion', { fusion: 'yes' }, /opplace\.fusion must be true or false/],
    ['batchSize', { batchSize: -1 }, /opplace\.batchSize/],
    ['dtype', { dtype: 'fp8' }, /opplace\.dtype/],
    ['grouping', { grouping: 'all' }, /opplace\.grouping/],
    ['dims', { dims: ['seq'] }, /setting opplace\.dims must be NAME=VALUE/],
    ['dims', { dims: 'seq=128' }, /setting opplace\.dims must be a list of at most 256 strings, got "seq=128"/],
    ['dims', { dims: ['seq=-4'] }, /setting opplace\.dims seq/],
    ['inputShapes', { inputShapes: ['images=1xfoo'] }, /setting opplace\.inputShapes images/],
  ];
  for (const [key, raw, message] of bad) {
    it(`a bad opplace.${key} (${JSON.stringify(raw)}) is one OpplaceError naming the setting`, () => {
      assert.throws(
        () => resolveSettings(raw),
        (e: Error) => e.name === 'OpplaceError' && message.test(e.message),
      );
    });
  }

  it('saved limits read back to the same bytes (round trip through the setting string)', () => {
    const cases = [[16 * GiB, 16 * GiB], [16 * GiB, 8 * GiB, 1536 * MiB], [123456789, 4096], [2 ** 40, 3 * 2 ** 40], [80e9, 40e9], [1e6 + 1]];
    for (const limits of cases) {
      const text = memoryLimitsToSetting(limits);
      assert.deepEqual(parseMemoryLimits(text, limits.length), limits, text);
      assert.deepEqual(resolveSettings({ devices: limits.length, memoryLimits: text }).placement.memoryLimits, limits);
    }
    assert.equal(memoryLimitsToSetting([16 * GiB, 16 * GiB]), '16GiB');
    assert.equal(memoryLimitsToSetting([16 * GiB, 1536 * MiB]), '16GiB,1536MiB');
    assert.equal(memoryLimitsToSetting([80e9]), '80GB');
    assert.equal(memoryLimitsToSetting([2 ** 20]), '1MiB');
    assert.throws(() => memoryLimitsToSetting([]), /no memory limits/);
  });

  it('the viewer chooses placement knobs; settings keep the rest', () => {
    const base = { ...resolveSettings({}).placement, topology: '2x4:nvlink4/ib200' };
    const viewer = { algorithm: 'm-topo' as const, devices: 3, memoryLimits: [1, 2, 3], comm: 'none', grouping: 'none' as const, fuse: false };
    const merged = mergeViewerOptions(base, viewer);
    assert.deepEqual(merged, { ...viewer, topology: '2x4:nvlink4/ib200' });
    viewer.memoryLimits[0] = 99;
    assert.equal(merged.memoryLimits[0], 1, 'merged options must not alias the message');
  });

  it('package.json contributes exactly these settings, workspace-scoped, with matching enums', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));
    const props = pkg.contributes.configuration.properties as Record<string, { scope: string; enum?: string[]; default: unknown }>;
    assert.deepEqual(Object.keys(props).sort(), SETTING_KEYS.map((k) => `opplace.${k}`).sort());
    for (const [key, p] of Object.entries(props)) assert.equal(p.scope, 'resource', key);
    assert.deepEqual([...(props['opplace.devicePreset'].enum ?? [])].sort(), [...DEVICE_PRESET_IDS].sort());
    assert.ok(DEVICE_PRESETS[props['opplace.devicePreset'].default as string]);
    assert.deepEqual(props['opplace.algorithm'].enum, SETTING_ALGORITHMS);
    // The defaults in package.json resolve to valid options.
    const defaults: Record<string, unknown> = {};
    for (const k of SETTING_KEYS) defaults[k] = props[`opplace.${k}`].default;
    assert.doesNotThrow(() => resolveSettings(defaults));
  });
});
