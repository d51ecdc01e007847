// A Git LFS pointer checked out instead of its content (a clone without `git lfs`): a ~130-byte text
// file "version https://git-lfs.github.com/spec/v1 / oid sha256:… / size N". Decoded as protobuf it
// gave "invalid wire type 6" (issue 11 §7); say what the file is and how to get the model instead.
import { OpplaceError } from './errors';
import { formatBytes } from './units';

const PREFIX = 'version https://git-lfs';

/** Throws one OpplaceError naming the file when `bytes` are a Git LFS pointer, not a model. */
export function rejectGitLfsPointer(bytes: Uint8Array, file: string): void {
  if (bytes.length < PREFIX.length || bytes.length > 1024) return;
  const text = new TextDecoder().decode(bytes);
  if (!text.startsWith(PREFIX)) return;
  const size = /^size (\d+)\s*$/m.exec(text);
  const of = size ? ` of a ${formatBytes(Number(size[1]))} file` : '';
  throw new OpplaceError(`is a Git LFS pointer${of}, not the model itself: fetch the content with \`git lfs pull\` (or download the file directly)`, {
    file,
  });
}
