// Property tests of the image sets lego eval reads (image-set.ts): an .npz as np.savez (or generate --npz)
// writes it reads back image for image and label for label; damaged .npz files, arbitrary .npy headers and
// labels files are read or refused with a one-line InputError, quickly, without allocating what they claim.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { mutatedFrom, parseWithin, runs } from '../../test/helpers/parse-property.js';
import { encodeNpyUint8, encodeNpzUint8 } from '../data/npz.js';
import { openImageSet, parseLabelsJson } from './image-set.js';

const tmp = mkdtempSync(join(tmpdir(), 'lego-image-set-property-'));

/** Images (N, H, W[, C]) and, sometimes, one class per image. */
const npzCase = fc
  .record({ count: fc.integer({ min: 1, max: 3 }), height: fc.integer({ min: 1, max: 4 }), width: fc.integer({ min: 1, max: 4 }), channels: fc.constantFrom(0, 1, 3, 4), labelled: fc.boolean() })
  .chain(({ count, height, width, channels, labelled }) => {
    const shape = channels ? [count, height, width, channels] : [count, height, width];
    const size = count * height * width * Math.max(channels, 1);
    return fc.record({
      shape: fc.constant(shape),
      data: fc.uint8Array({ minLength: size, maxLength: size }),
      labels: labelled ? fc.array(fc.integer({ min: 0, max: 2 ** 40 }), { minLength: count, maxLength: count }) : fc.constant(undefined),
    });
  });
const validNpz = npzCase.map(({ data, shape, labels }) => encodeNpzUint8(data, shape, labels));

/** `bytes` as an .npz file on disk (openImageSet takes a path). */
function npzFile(bytes: Uint8Array): string {
  const path = join(tmp, 'x.npz');
  writeFileSync(path, bytes);
  return path;
}

/** Open a (damaged) .npz and read every image, within the limits. */
function checkOpen(bytes: Uint8Array): void {
  const path = npzFile(bytes);
  const outcome = parseWithin(() => openImageSet(path), bytes.length);
  if (!outcome.ok) return;
  const set = outcome.value;
  expect(Number.isSafeInteger(set.count) && set.count > 0).toBe(true);
  for (let i = 0; i < set.count; i++) {
    const { width, height, channels, data } = set.image(i);
    expect(data.length).toBe(width * height * channels);
  }
}

describe('.npz image set properties', () => {
  it('reads back the images and the labels np.savez-style files hold', () => {
    fc.assert(
      fc.property(npzCase, ({ shape, data, labels }) => {
        const set = openImageSet(npzFile(encodeNpzUint8(data, shape, labels)));
        const [count, height, width, channels = 1] = shape;
        expect(set.count).toBe(count);
        for (let i = 0; i < count; i++) {
          const size = height * width * channels;
          expect(set.image(i)).toEqual({ width, height, channels, data: data.subarray(i * size, (i + 1) * size) });
        }
        expect(set.labels).toEqual(labels ? { byIndex: labels } : null);
      }),
      runs(200),
    );
  });

  it('damaged .npz files are read or refused with a one-line InputError', () => {
    fc.assert(fc.property(mutatedFrom(validNpz), (bytes) => checkOpen(bytes)), runs(1000));
  });

  it('any .npy header is read or refused with a one-line InputError', () => {
    const dim = fc.oneof(fc.integer({ min: 0, max: 4 }), fc.constantFrom('-1', '-2', '1.5', '1e9', 'x', '99999999999999999999', '4294967296'));
    const header = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 80 }),
      fc.record({ descr: fc.oneof(fc.constantFrom('|u1', '<u1', '<i8', '<f4', '|b1', 'O', '<U3'), fc.string({ unit: 'binary', maxLength: 6 })), shape: fc.array(dim, { maxLength: 5 }), fortran: fc.constantFrom('False', 'True') })
        .map(({ descr, shape, fortran }) => `{'descr': '${descr}', 'fortran_order': ${fortran}, 'shape': (${shape.join(', ')},), }`),
    );
    const npy = fc.tuple(header, fc.constantFrom(1, 2, 3, 0, 255), fc.uint8Array({ maxLength: 48 })).map(([text, major, data]) => {
      const h = new TextEncoder().encode(text);
      const lengthBytes = major === 1 ? 2 : 4;
      const out = new Uint8Array(8 + lengthBytes + h.length + data.length);
      out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
      if (lengthBytes === 2) new DataView(out.buffer).setUint16(8, h.length, true);
      else new DataView(out.buffer).setUint32(8, h.length, true);
      out.set(h, 8 + lengthBytes);
      out.set(data, 8 + lengthBytes + h.length);
      return out;
    });
    fc.assert(
      fc.property(npy, fc.boolean(), (arr, asLabels) => {
        // As the images (arr_0), or as the labels (arr_1) beside two valid 1x1 images.
        const files: Record<string, Uint8Array> = asLabels ? { 'arr_0.npy': encodeNpyUint8(Uint8Array.of(1, 2), [2, 1, 1]), 'arr_1.npy': arr } : { 'arr_0.npy': arr };
        checkOpen(zipSync(files, { level: 0 }));
      }),
      runs(800),
    );
  });

  it('labels files: any text parses or is refused with a one-line InputError', () => {
    const text = fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)));
    fc.assert(fc.property(text, (t) => void parseWithin(() => parseLabelsJson(t, 'labels.json'), t.length)), runs(1000));
  });
});
