// ONNX loading speed: decode + shape inference + graph building (parseOnnx) for each onnx-light
// model, median of several runs after one warm-up. Target: DenseNet-121 light < 100 ms.
import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import { parseOnnx } from '../algorithms/loaders/onnx';
import { readModelBytes } from '../algorithms/loaders/readFile';
import { decodeOnnxModel } from '../algorithms/onnx/proto';
import { dataPath } from '../test/helpers/paths';

const DATA = dataPath('onnx-light');
const RUNS = 15;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Wall-clock and CPU milliseconds of each run. CPU time is reported too because the machine is
 * shared (2 cores): under load the wall clock includes time the process was not running. */
function time(fn: () => void): { wall: number[]; cpu: number[] } {
  fn(); // warm-up (JIT, protobufjs codegen)
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const c = process.cpuUsage();
    const t = performance.now();
    fn();
    wall.push(performance.now() - t);
    const d = process.cpuUsage(c);
    cpu.push((d.user + d.system) / 1000);
  }
  return { wall, cpu };
}

export async function bench(): Promise<string> {
  const files = readdirSync(DATA)
    .filter((f) => f.endsWith('.onnx'))
    .sort();
  const rows = ['| model | KB | nodes | parameters | decode ms | parse + inference ms | min ms | CPU ms |', '|---|---:|---:|---:|---:|---:|---:|---:|'];
  let densenet = NaN;
  for (const f of files) {
    const bytes = readModelBytes(path.join(DATA, f));
    const g = parseOnnx(bytes, f, {});
    const decode = time(() => decodeOnnxModel(bytes, f));
    const full = time(() => parseOnnx(bytes, f, {}));
    const name = f.replace(/^light_|\.onnx$/g, '');
    if (name === 'densenet121') densenet = median(full.wall);
    rows.push(
      `| ${name} | ${(bytes.length / 1024).toFixed(0)} | ${g.nodes.length} | ${g.stats!.parameterCount!.toLocaleString('en-US')} | ` +
        `${median(decode.wall).toFixed(1)} | ${median(full.wall).toFixed(1)} | ${Math.min(...full.wall).toFixed(1)} | ${median(full.cpu).toFixed(1)} |`,
    );
  }
  rows.push(
    '',
    `DenseNet-121 light: ${densenet.toFixed(1)} ms (target < 100 ms: ${densenet < 100 ? 'met' : 'NOT met'}). Medians of ${RUNS} runs after a warm-up; decode = protobuf only.`,
  );
  return rows.join('\n');
}
