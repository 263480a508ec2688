// JPEG decoding: colour, gray detected back to 1 channel, corrupt files named.
import { encode } from 'jpeg-js';
import { describe, expect, it } from 'vitest';
import { decodeJpeg } from './jpeg.js';

function jpeg(width: number, height: number, pixel: (x: number, y: number) => [number, number, number]): Uint8Array {
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set([...pixel(x, y), 255], (y * width + x) * 4);
  return new Uint8Array(encode({ width, height, data }, 95).data);
}

describe('jpeg', () => {
  it('decodes colour to RGB within JPEG error', () => {
    const img = decodeJpeg(jpeg(16, 8, () => [200, 40, 90]), 'c.jpg');
    expect(img).toMatchObject({ width: 16, height: 8, channels: 3 });
    for (let i = 0; i < img.data.length; i += 3) {
      expect(Math.abs(img.data[i] - 200)).toBeLessThan(6);
      expect(Math.abs(img.data[i + 1] - 40)).toBeLessThan(6);
    }
  });

  it('gives 1 channel for a gray image', () => {
    const img = decodeJpeg(jpeg(8, 8, (x) => [x * 30, x * 30, x * 30]), 'g.jpg');
    expect(img.channels).toBe(1);
    expect(img.data.length).toBe(64);
  });

  it('names a corrupt file', () => {
    const bytes = jpeg(16, 16, (x, y) => [x * 10, y * 10, 0]);
    expect(() => decodeJpeg(bytes.subarray(0, 200), 'cut.jpg')).toThrow(/^cut\.jpg: corrupt JPEG/);
  });

  it('refuses a frame header claiming more pixels than the file can hold, before decoding', () => {
    const bytes = jpeg(12, 9, (x, y) => [x * 20, y * 20, 0]);
    const sof = bytes.findIndex((b, i) => b === 0xff && bytes[i + 1] === 0xc0);
    new DataView(bytes.buffer).setUint16(sof + 5, 1769); // height, then width: jpeg-js would decode for seconds
    new DataView(bytes.buffer).setUint16(sof + 7, 3784);
    expect(() => decodeJpeg(bytes, 'big.jpg')).toThrow(`big.jpg: corrupt JPEG (3784x1769 pixels cannot come from ${bytes.length} bytes)`);
  });
});
