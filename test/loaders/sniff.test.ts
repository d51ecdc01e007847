// looksLikeGraphJson: the cheap test behind the .json menu entry. Every graph .json the loaders
// read says yes from its first 4 KB; other JSON (manifests, fixtures, expert placements) says no.
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { looksLikeGraphJson, SNIFF_BYTES } from '../../algorithms/loaders/index';
import { DATA, REPO } from '../helpers/paths';

function jsonFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? jsonFiles(p) : p.endsWith('.json') ? [p] : [];
  });
}
const head = (file: string) => readFileSync(file).subarray(0, SNIFF_BYTES);

describe('loaders: which .json files are graphs (menu sniff)', () => {
  it('every dnn-partitioning graph, the example and the opgraph fixtures: yes', () => {
    const graphs = [
      ...jsonFiles(path.join(DATA, 'dnn-partitioning')).filter((f) => !f.includes('human-experts')),
      path.join(REPO, 'examples', 'inceptionv3_training.json'),
      ...jsonFiles(path.join(REPO, 'test', 'e2e', 'fixtures')).filter((f) => f.endsWith('.opgraph.json')),
    ];
    assert.ok(graphs.length >= 20, `${graphs.length} graph files`);
    for (const f of graphs) assert.ok(looksLikeGraphJson(head(f)), f);
  });

  it('package.json, tsconfig.json, the plan-hash fixture and expert placements: no', () => {
    const others = [
      path.join(REPO, 'package.json'),
      path.join(REPO, 'tsconfig.json'),
      path.join(REPO, 'test', 'fixtures', 'planHashes.json'),
      ...jsonFiles(path.join(DATA, 'dnn-partitioning', 'human-experts')),
    ];
    for (const f of others) assert.ok(!looksLikeGraphJson(head(f)), f);
    assert.ok(!looksLikeGraphJson('{"nodes": [1, 2, 3]}'), 'nodes alone are not enough');
    assert.ok(looksLikeGraphJson('{"format": "opgraph", "version": 1'), 'an opgraph header, even cut short');
  });
});
