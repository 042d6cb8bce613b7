/*
 * A real browser for tests: Debian's chromium (.ci/run installs it), driven
 * headless by puppeteer-core, which never downloads a browser. Tests skip
 * with CHROMIUM_MISSING only when chromium is absent and CI is not set.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser } from 'puppeteer-core';

const CHROMIUM_PATHS = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/lib/chromium/chromium'];

export const CHROMIUM_MISSING = 'chromium is not installed (apt-get install chromium; .ci/run does it)';

export function chromiumPath(): string | null {
  const fromEnv = process.env.DEEPEND_CHROMIUM;
  if (fromEnv) return fromEnv;
  return CHROMIUM_PATHS.find((p) => existsSync(p)) ?? null;
}

/** The `skip` option of a browser test: a message when chromium is absent outside CI (in CI the test runs and fails). */
export function browserSkip(): string | false {
  return chromiumPath() === null && !process.env.CI ? CHROMIUM_MISSING : false;
}

/** Headless chromium with a profile of its own; closed (and the profile removed) when the test ends. */
export async function launchChromium(t: { after(fn: () => void | Promise<void>): void }): Promise<Browser> {
  const executablePath = chromiumPath();
  if (!executablePath) throw new Error(CHROMIUM_MISSING);
  const profile = mkdtempSync(join(tmpdir(), 'deepend-chromium-'));
  const browser = await puppeteer.launch({
    executablePath,
    headless: true,
    userDataDir: profile,
    // As root (CI) chromium refuses its sandbox; the pages are the test's own.
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'],
  });
  t.after(async () => {
    await browser.close();
    rmSync(profile, { recursive: true, force: true });
  });
  return browser;
}
