// protobufjs ONNX schema: decoding real files and encoding them back byte for byte, and writing
// per-node metadata_props (what an annotated-copy writer needs).
import { strict as assert } from 'node:assert';
import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { decodeOnnxModel, encodeOnnxModel, int64ToNumber, onnxType } from '../../algorithms/onnx/proto';
import { REPO, dataPath } from '../helpers/paths';

const files = [
  ...readdirSync(dataPath('onnx-light'))
    .filter((f) => f.endsWith('.onnx'))
    .map((f) => dataPath('onnx-light', f)),
  ...readdirSync(path.join(REPO, 'test/fixtures/onnx'))
    .filter((f) => f.endsWith('.onnx'))
    .map((f) => path.join(REPO, 'test/fixtures/onnx', f)),
];

describe('ONNX protobuf decode/encode', () => {
  it('decodes every model and re-encodes it to identical bytes', () => {
    for (const f of files) {
      const bytes = new Uint8Array(readFileSync(f));
      const model = decodeOnnxModel(bytes, f);
      assert.ok(model.graph && (model.graph.node?.length ?? 0) > 0, f);
      assert.ok(Buffer.from(encodeOnnxModel(model)).equals(Buffer.from(bytes)), `${path.basename(f)} does not round-trip`);
    }
  });

  it('reads fields: opset, dims, external data, attributes', () => {
    const m = decodeOnnxModel(new Uint8Array(readFileSync(path.join(REPO, 'test/fixtures/onnx/resnet18.onnx'))));
    assert.equal(int64ToNumber(m.opset_import![0].version), 13);
    const w = m.graph!.initializer!.find((t) => t.dims!.length === 4)!;
    assert.equal(w.data_location, 1);
    assert.equal(w.external_data![0].key, 'location');
    assert.equal(w.raw_data?.length ?? 0, 0);
    const conv = m.graph!.node!.find((n) => n.op_type === 'Conv')!;
    const ks = conv.attribute!.find((a) => a.name === 'kernel_shape')!;
    assert.deepEqual(ks.ints!.map(int64ToNumber), [7, 7]);
  });

  it('writes NodeProto.metadata_props and reads them back; other fields unchanged', () => {
    const file = dataPath('onnx-light', 'light_squeezenet.onnx');
    const model = decodeOnnxModel(new Uint8Array(readFileSync(file)));
    const Entry = onnxType('onnx.StringStringEntryProto');
    model.graph!.node!.forEach((n, i) => {
      n.metadata_props = [Entry.create({ key: 'opplace.device', value: `gpu${i % 2}` }) as unknown as { key: string; value: string }];
    });
    const bytes = encodeOnnxModel(model);
    const again = decodeOnnxModel(bytes);
    assert.equal(again.graph!.node!.length, model.graph!.node!.length);
    again.graph!.node!.forEach((n, i) => {
      assert.deepEqual(
        n.metadata_props!.map((e) => [e.key, e.value]),
        [['opplace.device', `gpu${i % 2}`]],
      );
      assert.equal(n.op_type, model.graph!.node![i].op_type);
    });
    // removing them again gives the original bytes
    again.graph!.node!.forEach((n) => (n.metadata_props = []));
    assert.ok(Buffer.from(encodeOnnxModel(again)).equals(readFileSync(file)));
  });

  it('encodes plain objects (numbers for int64)', () => {
    const bytes = encodeOnnxModel({
      ir_version: 8,
      opset_import: [{ domain: '', version: 13 }],
      graph: { name: 'g', node: [{ op_type: 'Relu', input: ['x'], output: ['y'] }] },
    });
    const m = decodeOnnxModel(bytes);
    assert.equal(int64ToNumber(m.ir_version), 8);
    assert.equal(m.graph!.node![0].op_type, 'Relu');
  });
});
