// Restoring a placement view after a window reload (extension/viewRestore.ts): the webview's own
// state (setState, handed to deserializeWebviewPanel) is the primary source; the workspace-state
// copy the host keeps is the fallback. The state is untrusted, so bad fields never reach the host.
import { strict as assert } from 'node:assert';
import type { PlacementOptions } from '../../algorithms/plan';
import { chooseRestoreState, savedStateFromWebview } from '../../extension/viewRestore';
import { VIEWER_STATE_VERSION } from '../../webview/viewState';

const chosen: PlacementOptions = { algorithm: 'm-topo', devices: 2, memoryLimits: [2 ** 30, 3 * 2 ** 30], comm: 'pcie4', grouping: 'none', fuse: false };
const uri = 'file:///workspace/light_squeezenet.onnx';

describe('view restore after a window reload', () => {
  it('takes the file, the options and the batch size from the webview state', () => {
    const state = {
      v: VIEWER_STATE_VERSION,
      hostUri: uri,
      file: 'light_squeezenet.onnx',
      options: chosen,
      batchSize: 4,
      dims: ['seq=64'],
      view: { expanded: ['group:'] },
    };
    assert.deepEqual(savedStateFromWebview(state), { uri, viewerOptions: chosen, viewerBatch: 4, viewerDims: ['seq=64'] });
    assert.deepEqual(savedStateFromWebview({ v: VIEWER_STATE_VERSION, hostUri: uri }), { uri }, 'no choices yet: the settings apply');
  });

  it('drops invalid choices and states that name no file', () => {
    const bad = { v: VIEWER_STATE_VERSION, hostUri: uri, options: { ...chosen, devices: 3 }, batchSize: -2, dims: ['seq=-1'] };
    assert.deepEqual(savedStateFromWebview(bad), { uri });
    for (const s of [undefined, null, {}, { v: VIEWER_STATE_VERSION, file: 'a.onnx' }, { v: 99, hostUri: uri }, { hostUri: 42 }]) {
      assert.equal(savedStateFromWebview(s), undefined, JSON.stringify(s));
    }
  });

  it('prefers the webview state over the workspace-state copy, which stays the fallback', () => {
    const workspace = { uri, viewerOptions: { ...chosen, algorithm: 'm-etf' as const } };
    const fromWebview = chooseRestoreState({ v: VIEWER_STATE_VERSION, hostUri: uri, options: chosen }, workspace);
    assert.equal(fromWebview?.viewerOptions?.algorithm, 'm-topo');
    assert.deepEqual(chooseRestoreState(undefined, workspace), workspace);
    assert.equal(chooseRestoreState(undefined, undefined), undefined);
  });
});
