// What every loader takes: the types only, so the loaders and their dispatch (index.ts) share
// them without importing each other.
import type { ModelFormat } from '../options';

export type { ModelFormat };

export type Dtype = 'fp32' | 'fp16' | 'bf16';

export interface LoadOptions {
  format?: ModelFormat;
  /** Value for symbolic or missing batch dims (default 1). */
  batch?: number;
  /**
   * Also rewrite a fixed leading dim of every graph input to `batch` (models exported with batch 1
   * baked in). Shapes the model fixes inside (a Reshape to a constant [1, …]) stay as exported, so
   * the loader warns.
   */
  forceBatch?: boolean;
  /** Values of named symbolic dims (ONNX dim_param), e.g. { seq: 128 }: everywhere the name appears. */
  dims?: Record<string, number>;
  /** Full shapes of named graph inputs, e.g. { images: [1, 3, 640, 640] }: they win over dims and batch. */
  inputShapes?: Record<string, number[]>;
  /** Element type activations and weights are costed in (default: as stored, fp32 for ONNX float). */
  dtype?: Dtype;
}
