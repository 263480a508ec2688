// The LeNet training step learns: two classes of synthetic images (a bright square left or right)
// are told apart after one short epoch, and the trained weights drive a feature extractor.
import { describe, expect, it } from 'vitest';
import { lenetAccuracy, trainLenet, type LabelledImages } from './feature-net-training.js';

function squares(count: number): LabelledImages {
  const pixels = new Uint8Array(count * 1024);
  const labels = Int32Array.from({ length: count }, (_, i) => i % 2);
  for (let i = 0; i < count; i++) {
    const x0 = labels[i] === 0 ? 6 : 18;
    for (let y = 10; y < 20; y++) for (let x = x0; x < x0 + 8; x++) pixels[i * 1024 + y * 32 + x] = 255;
  }
  return { count, pixels, labels };
}

describe('trainLenet', () => {
  it('separates two synthetic classes in one short epoch; loss goes down', async () => {
    const losses: number[] = [];
    const weights = await trainLenet(squares(256), { epochs: 1, batch: 32, lr: 3e-3, emaHalfLifeImages: 64, threads: 1, onProgress: ({ loss }) => losses.push(loss) });
    expect(losses).toHaveLength(8);
    expect(losses.at(-1)).toBeLessThan(losses[0]);
    expect(await lenetAccuracy(weights, squares(20), { threads: 1 })).toBe(1);
  });
});
