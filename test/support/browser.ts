import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { requireTools } from './prerequisites.js';

/** Debian's chromium (installed by .ci/run), with the flags this offline machine needs. */
export async function launchChromium(): Promise<Browser> {
  const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  requireTools('The browser tests', [executablePath], 'chromium');
  return chromium.launch({
    executablePath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Screenshots land in test-artifacts/ (git ignores it). */
export async function screenshot(page: Page, name: string): Promise<void> {
  const dir = path.resolve('test-artifacts', 'browser');
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true });
}

/** Signs a page in through its own sign-in form. */
export async function signInPage(page: Page, url: string, token: string): Promise<void> {
  await page.goto(url);
  await page.fill('#token-input', token);
  await page.click('#signin button[type=submit]');
  await page.waitForSelector('#signin', { state: 'hidden' });
}
