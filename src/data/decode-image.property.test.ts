// Property tests of the image decoders (png.ts, jpeg.ts, decode-image.ts): encodePng's output decodes to the
// same pixels; damaged PNGs and JPEGs and arbitrary bytes decode or are refused with a one-line InputError,
// quickly, without allocating what a damaged header's width and height claim.
import fc from 'fast-check';
import { encode as encodeJpeg } from 'jpeg-js';
import { describe, expect, it } from 'vitest';
import { mutatedFrom, parseWithin, runs } from '../../test/helpers/parse-property.js';
import { decodeImage } from './decode-image.js';
import type { Image } from './image.js';
import { decodePng, encodePng, readPngHeader } from './png.js';

const image = (channels: fc.Arbitrary<number>) =>
  fc.record({ width: fc.integer({ min: 1, max: 12 }), height: fc.integer({ min: 1, max: 12 }), channels }).chain(({ width, height, channels: c }) => {
    const size = width * height * c;
    return fc.uint8Array({ minLength: size, maxLength: size }).map((data): Image => ({ width, height, channels: c, data }));
  });
const level = fc.constantFrom(0, 1, 6, 9) as fc.Arbitrary<0 | 1 | 6 | 9>;

const validPng = fc.tuple(image(fc.integer({ min: 1, max: 4 })), level).map(([img, l]) => encodePng(img, l));

/** A few JPEGs made once: jpeg-js takes about 250 ms to set up each encode. Colour noise, a gray ramp, one pixel. */
const jpegs = ([[12, 9, 50, (i: number) => (i * 37) % 256], [8, 8, 90, (i: number) => (i >> 2) * 8], [1, 1, 10, () => 200]] as const).map(([width, height, quality, pixel]) => {
  const data = Uint8Array.from({ length: width * height * 4 }, (_, i) => (i % 4 === 3 ? 255 : pixel(i)));
  return new Uint8Array(encodeJpeg({ width, height, data }, quality).data);
});
const validJpeg = fc.constantFrom(...jpegs);

/** Decode (damaged) image bytes, within the limits; a decoded image must hold exactly its pixels. */
function checkDecode(bytes: Uint8Array): void {
  const outcome = parseWithin(() => decodeImage(bytes, 'x.png'), bytes.length);
  if (outcome.ok) {
    const { width, height, channels, data } = outcome.value;
    expect(data.length).toBe(width * height * channels);
  }
}

describe('image decoder properties', () => {
  it('encodePng then decodePng gives back the pixels, and the header agrees', () => {
    fc.assert(
      fc.property(image(fc.integer({ min: 1, max: 4 })), level, (img, l) => {
        const png = encodePng(img, l);
        expect(decodePng(png, 'rt.png')).toEqual(img);
        expect(readPngHeader(png.subarray(0, 33), 'rt.png')).toEqual({ width: img.width, height: img.height, channels: img.channels });
      }),
      runs(300),
    );
  });

  it('damaged PNGs decode or are refused with a one-line InputError', () => {
    fc.assert(
      fc.property(mutatedFrom(validPng), (bytes) => {
        checkDecode(bytes);
        parseWithin(() => readPngHeader(bytes, 'x.png'), bytes.length);
      }),
      runs(1500),
    );
  });

  it('damaged JPEGs decode or are refused with a one-line InputError', () => {
    fc.assert(fc.property(mutatedFrom(validJpeg), (bytes) => checkDecode(bytes)), runs(800));
  });

  it('a PNG whose header claims any size decodes or is refused before the decoder allocates it', () => {
    const size = fc.oneof(fc.integer({ min: 0, max: 64 }), fc.integer({ min: 0, max: 2 ** 32 - 1 }));
    fc.assert(
      fc.property(validPng, size, size, (png, width, height) => {
        const bytes = png.slice();
        new DataView(bytes.buffer).setUint32(16, width);
        new DataView(bytes.buffer).setUint32(20, height);
        checkDecode(bytes);
      }),
      runs(300),
    );
  });

  it('a JPEG whose frame header claims any size decodes or is refused before the decoder allocates it', () => {
    const size = fc.oneof(fc.integer({ min: 0, max: 64 }), fc.integer({ min: 0, max: 65535 }));
    fc.assert(
      fc.property(validJpeg, size, size, (jpeg, width, height) => {
        const bytes = jpeg.slice();
        const sof = bytes.findIndex((b, i) => b === 0xff && bytes[i + 1] === 0xc0);
        new DataView(bytes.buffer).setUint16(sof + 5, height);
        new DataView(bytes.buffer).setUint16(sof + 7, width);
        checkDecode(bytes);
      }),
      runs(200),
    );
  });

  it('arbitrary bytes after a PNG or JPEG signature decode or are refused with a one-line InputError', () => {
    const signature = fc.constantFrom(Uint8Array.of(), Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a), Uint8Array.of(0xff, 0xd8, 0xff));
    const bytes = fc.tuple(signature, fc.uint8Array({ maxLength: 200 })).map(([head, rest]) => Uint8Array.of(...head, ...rest));
    fc.assert(fc.property(bytes, (b) => checkDecode(b)), runs(800));
  });
});
