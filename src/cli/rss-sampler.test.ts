import { describe, expect, it } from 'vitest';
import { sampleRss } from './rss-sampler.js';

describe('sampleRss', () => {
  it('sees memory that was resident only in the middle of the window', async () => {
    const before = process.memoryUsage.rss() / 2 ** 20;
    const window = sampleRss(1);
    let block: Buffer | null = Buffer.alloc(256 * 2 ** 20, 1); // touched, so resident
    const until = Date.now() + 100;
    while (Date.now() < until) block[(Date.now() * 4099) % block.length] ^= 1; // hold it while samples are taken
    block = null;
    const peak = await window.stop();
    expect(peak).toBeGreaterThan(before + 200);
    expect(peak).toBeLessThanOrEqual(process.resourceUsage().maxRSS / 1024 + 1);
  });
});
