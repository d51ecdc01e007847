// `npm run bench`: runs every bench/*.bench.ts (or those whose name contains an argument) and
// prints their markdown. Each module exports `bench(): Promise<string>`.
import { readdirSync } from 'node:fs';
import * as path from 'node:path';

async function main() {
  const filters = process.argv.slice(2);
  const files = readdirSync(__dirname)
    .filter((f) => f.endsWith('.bench.ts'))
    .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
    .sort();
  for (const f of files) {
    const started = Date.now();
    process.stderr.write(`bench ${f} …\n`);
    const mod = (await import(path.join(__dirname, f))) as { bench: () => Promise<string> };
    const text = await mod.bench();
    process.stdout.write(`\n## ${f.replace('.bench.ts', '')}\n\n${text.trim()}\n\n(took ${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
