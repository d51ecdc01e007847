// Memory sizes and limits as users type them: units, one limit for all devices or one per device,
// and the typos that must be errors rather than silently shifted limits.
import { strict as assert } from 'node:assert';
import { OpplaceError } from '../../algorithms/errors';
import { formatBytesAtLeast, parseMemoryLimits, parseSize } from '../../algorithms/units';

const GiB = 2 ** 30;

describe('units: sizes and memory limits', () => {
  it('parses binary and decimal units, case-insensitively, with or without a space', () => {
    assert.equal(parseSize('16GiB'), 16 * GiB);
    assert.equal(parseSize('16 gib'), 16 * GiB);
    assert.equal(parseSize('1.5GB'), 1.5e9);
    assert.equal(parseSize('512'), 512);
  });

  it('one limit for every device, or exactly one per device in order', () => {
    assert.deepEqual(parseMemoryLimits('8GiB', 3), [8 * GiB, 8 * GiB, 8 * GiB]);
    assert.deepEqual(parseMemoryLimits('16GiB, 16GiB,8GiB,8GiB', 4), [16 * GiB, 16 * GiB, 8 * GiB, 8 * GiB]);
    assert.throws(() => parseMemoryLimits('1GiB,2GiB,3GiB', 2), /--memory lists 3 limits but --devices is 2/);
  });

  it('an empty entry (stray comma) is an error naming it, not a shifted list', () => {
    const cases: [string, RegExp][] = [
      ['16GiB,,8GiB', /limit 2 of 3 is empty/],
      ['16GiB,', /limit 2 of 2 is empty/],
      [',16GiB', /limit 1 of 2 is empty/],
      [' , ', /--memory needs a size/],
      ['', /--memory needs a size/],
    ];
    for (const [text, re] of cases) {
      assert.throws(
        () => parseMemoryLimits(text, 2),
        (e: unknown) => e instanceof OpplaceError && re.test(e.message),
        text,
      );
    }
  });

  it('rejects negative, non-numeric and unknown-unit sizes', () => {
    for (const bad of ['-1', 'NaN', 'Infinity', '16QB', '0x10', '1e400']) assert.throws(() => parseSize(bad, 'memory limit'), OpplaceError, bad);
  });

  it('a "fits with X" size is rounded up, so X really fits', () => {
    const need = 33862538; // 32.29… MiB
    assert.equal(formatBytesAtLeast(need), '32.3 MiB');
    assert.ok(parseSize(formatBytesAtLeast(need)) >= need);
  });
});
