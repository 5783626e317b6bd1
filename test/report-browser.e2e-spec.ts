import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { goldenLog, GoldenLog, SLOW_FIRST_BYTE_MS } from './fixtures/golden-logs';
import { repoRoot } from './support/repo-root';

/** Debian's Chromium (`apt-get install chromium`; .ci/run installs it). */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

describe('cvdiag report in a real browser', () => {
  let golden: GoldenLog;
  let browser: Browser;
  let page: Page;
  const consoleErrors: string[] = [];
  const requests: string[] = [];
  let pageUrl: string;

  beforeAll(async () => {
    golden = await goldenLog('express');
    const dir = mkdtempSync(join(tmpdir(), 'cvdiag-report-'));
    writeFileSync(join(dir, 'golden.log'), golden.text);
    const output = join(dir, 'report.html');
    const built = spawnSync(process.execPath, [join(repoRoot(), 'dist/cjs/cli/main.js'), 'report', '--slow-first-byte', String(SLOW_FIRST_BYTE_MS), join(dir, 'golden.log'), '-o', output], { encoding: 'utf8' });
    expect(built.status).toBe(0);
    pageUrl = pathToFileURL(output).href;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(error.message));
    page.on('request', (request) => requests.push(request.url()));
    await page.goto(pageUrl);
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
  });

  const visibleRows = () => page.locator('#requests tbody tr:not([hidden])').count();

  it('lists every request, counts each verdict, and loads nothing from the network', async () => {
    expect(await visibleRows()).toBe(golden.expected.size);
    expect(await page.locator('.verdict-count').count()).toBe(new Set(golden.expected.values()).size);
    expect(await page.locator('#summary').textContent()).toContain(`${golden.expected.size} requests`);
    expect(requests).toEqual([pageUrl]);
    expect(consoleErrors).toEqual([]);
  });

  it('filters the list by verdict, by failure and by text', async () => {
    await page.selectOption('#verdict-filter', 'llm-stalled');
    expect(await visibleRows()).toBe(1);
    await page.selectOption('#verdict-filter', '');
    await page.check('#failed-only');
    const okCount = [...golden.expected.values()].filter((verdict) => verdict === 'ok').length;
    expect(await visibleRows()).toBe(golden.expected.size - okCount);
    await page.uncheck('#failed-only');
    await page.fill('#search', 'protocol-incomplete');
    expect(await visibleRows()).toBe(1);
    await page.fill('#search', '');
    await page.click('.verdict-count[data-verdict="in-band-error"]');
    expect(await visibleRows()).toBe([...golden.expected.values()].filter((verdict) => verdict === 'in-band-error').length);
    await page.click('.verdict-count[data-verdict="in-band-error"]');
    expect(await visibleRows()).toBe(golden.expected.size);
  });

  it('shows the reason and the waterfall of a request on click', async () => {
    expect(await page.locator('#detail').isHidden()).toBe(true);
    await page.locator('#requests tbody tr[data-verdict="llm-stalled"]').click();
    await expect(page.locator('#detail').isVisible()).resolves.toBe(true);
    expect(await page.locator('#detail h2').textContent()).toContain('llm-stalled');
    expect(await page.locator('#detail p').first().textContent()).toContain('was still waiting');
    const waterfallRows = await page.locator('#detail .wf-row').count();
    expect(waterfallRows).toBeGreaterThan(5);
    expect(await page.locator('#detail .wf-span').count()).toBeGreaterThanOrEqual(1);
    const screenshot = process.env.CVDIAG_UPDATE_SCREENSHOT === '1' ? join(repoRoot(), 'docs/report.png') : join(tmpdir(), 'cvdiag-report.png');
    await page.screenshot({ path: screenshot, fullPage: true });
    expect(consoleErrors).toEqual([]);
    expect(requests).toEqual([pageUrl]);
  });
});
