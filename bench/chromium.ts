// Debian's chromium, headless, with the flags the browser tests and `npm run bench:web` all use.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** Headless chromium (software rendering unless `extraArgs` ask for more); fails naming a missing browser. */
export async function launchChromium(extraArgs: string[] = [], { gpu = false } = {}): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium) or set LEGO_SKIP_BROWSER_TESTS=1`);
  const base = ['--headless', '--no-sandbox', '--no-first-run', '--disable-background-networking'];
  return chromium.launch({ executablePath: CHROMIUM, args: [...base, ...(gpu ? [] : ['--disable-gpu']), ...extraArgs] });
}
