import { strict as assert } from 'node:assert';
import { INTERCONNECT_PRESETS, parseInterconnect, transferTimeUs } from '../../algorithms/cost/interconnect';
import { OpplaceError } from '../../algorithms/errors';

describe('interconnect presets', () => {
  it('has the presets the issue lists', () => {
    for (const k of ['baechi', 'pcie4', 'pcie5', 'nvlink3', 'nvlink4', 'none']) assert.ok(INTERCONNECT_PRESETS[k], k);
  });
  it("baechi is Baechi's measured 134 µs + 0.0001754 µs/byte", () => {
    const l = parseInterconnect('baechi');
    assert.equal(transferTimeUs(0, l), 134);
    assert.ok(Math.abs(transferTimeUs(1e6, l) - (134 + 175.4)) < 1e-9);
  });
  it('none makes every transfer free; faster links are faster', () => {
    assert.equal(transferTimeUs(1e9, parseInterconnect('none')), 0);
    const t = (k: string) => transferTimeUs(1e8, parseInterconnect(k));
    assert.ok(t('pcie4') > t('pcie5') && t('pcie5') > t('nvlink3') && t('nvlink3') > t('nvlink4'));
  });
  it('parses a custom LATENCY_US:GBPS link and rejects nonsense clearly', () => {
    const l = parseInterconnect('10:25');
    // 25 GB/s → 1 GB takes 40,000 µs, plus 10 µs latency
    assert.ok(Math.abs(transferTimeUs(1e9, l) - 40010) < 1e-6);
    assert.equal(parseInterconnect(' NVLink4 ').name, 'nvlink4');
    assert.throws(
      () => parseInterconnect('10:0'),
      (e: unknown) => e instanceof OpplaceError && /bandwidth must be > 0/.test(e.message),
    );
    assert.throws(() => parseInterconnect('fast'), /unknown interconnect "fast" \(presets: baechi/);
  });
});
