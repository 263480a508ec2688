// PNG codec: round trips, the PNG flavours that decode to 8 bits, headers, and one-line errors.
import { encode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { InputError } from '../errors.js';
import { decodeImage } from './decode-image.js';
import { decodePng, encodePng, readPngHeader } from './png.js';

const ramp = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 37) % 256);

describe('png', () => {
  it.each([1, 2, 3, 4])('round-trips %i channels exactly, stored and compressed', (channels) => {
    const img = { width: 5, height: 3, channels, data: ramp(5 * 3 * channels) };
    for (const level of [0, 6] as const) {
      const back = decodePng(encodePng(img, level), 't.png');
      expect(back).toMatchObject({ width: 5, height: 3, channels });
      expect([...back.data]).toEqual([...img.data]);
    }
  });

  it('reads the size and channels from the header alone', () => {
    const png = encodePng({ width: 7, height: 4, channels: 3, data: ramp(84) });
    expect(readPngHeader(png.subarray(0, 33), 'h.png')).toEqual({ width: 7, height: 4, channels: 3 });
  });

  it('rounds 16-bit samples to 8 bits', () => {
    const png = encode({ width: 2, height: 1, channels: 1, depth: 16, data: Uint16Array.of(0xffff, 0x8080) });
    expect([...decodePng(png, 'x.png').data]).toEqual([255, 128]);
  });

  it('expands palette images to RGB', () => {
    const png = encode({ width: 2, height: 1, channels: 1, depth: 8, data: Uint8Array.of(1, 0), palette: [[10, 20, 30], [40, 50, 60]] });
    const img = decodePng(png, 'p.png');
    expect(img.channels).toBe(3);
    expect([...img.data]).toEqual([40, 50, 60, 10, 20, 30]);
  });

  it('unpacks 1-bit gray to 0/255', () => {
    const png = encode({ width: 3, height: 2, channels: 1, depth: 1, data: Uint8Array.of(0b10100000, 0b01000000) });
    expect([...decodePng(png, 'b.png').data]).toEqual([255, 0, 255, 0, 255, 0]);
  });

  it('names the file for a corrupt or foreign file, in one line', () => {
    const png = encodePng({ width: 4, height: 4, channels: 1, data: ramp(16) });
    expect(() => decodePng(png.subarray(0, 40), 'cut.png')).toThrow(InputError);
    expect(() => decodePng(png.subarray(0, 40), 'cut.png')).toThrow(/^cut\.png: corrupt PNG/);
    expect(() => decodeImage(new TextEncoder().encode('<html>'), 'page.png')).toThrow('page.png: not a PNG or JPEG image (starts with 3c 68 74 6d)');
    expect(() => decodeImage(new Uint8Array(0), 'empty.png')).toThrow('empty.png: empty file');
  });

  it('refuses a header claiming more pixels than the file can hold, before decoding', () => {
    const png = encodePng({ width: 1, height: 1, channels: 1, data: Uint8Array.of(0) });
    new DataView(png.buffer).setUint32(16, 64015800); // width; fast-png would allocate 64 MB of rows
    expect(() => decodePng(png, 'wide.png')).toThrow(`wide.png: corrupt PNG (64015800x1 pixels cannot come from ${png.length} bytes)`);
  });
});
