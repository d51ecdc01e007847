// Preloaded (`node --require`) into a CLI run by bench/onnxMemory.bench.ts: prints the process's
// peak resident set size when it exits, in bytes, on a line of its own on stderr.
process.on('exit', () => process.stderr.write(`\nopplace-bench-maxrss ${process.resourceUsage().maxRSS * 1024}\n`));
