// The README's screenshots (docs/*.png) from a running `npm start` with the demo data:
//   node scripts/screenshots.mjs [http://localhost:4000]
// Drives Debian's Chromium (/usr/bin/chromium) through playwright-core, as the browser tests do.
// It sends one real text to a demo group (the log SMS provider delivers it).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import process from 'node:process';
import { chromium } from 'playwright-core';

const base = (process.argv[2] ?? 'http://localhost:4000').replace(/\/$/, '');
const password = process.env.DEMO_PASSWORD ?? 'steeple-demo-2026';
const docs = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'docs');
const profile = mkdtempSync(path.join(tmpdir(), 'steeple-shots-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1200, height: 760 },
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const page = context.pages()[0] ?? (await context.newPage());
const shot = (name) => page.screenshot({ path: path.join(docs, `${name}.png`) });
const signIn = async (email) => {
  await page.goto(`${base}/app/`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
};

try {
  await page.goto(`${base}/app/`);
  await page.getByLabel('Email').fill('owner@grace.example');
  await shot('app-sign-in');
  await signIn('owner@grace.example');
  await page.getByText(/of \d+ people/).waitFor();
  await page.getByLabel('Search by name, email or phone').fill('adams');
  await page.getByText(/^1–\d+ of \d+ people$/).waitFor();
  await page.waitForTimeout(300);
  await shot('app-directory');
  await page.locator('tbody th a').first().click();
  await page.getByRole('heading', { name: 'Household' }).waitFor();
  await shot('app-member');
  await page.getByRole('link', { name: 'Send a text' }).click();
  await page.getByLabel('Message').fill('Choir practice moves to 7 pm this Thursday. See you there!');
  await page.locator('.choices input').first().check();
  await page.getByLabel(/^Urgent/).check();
  await page.getByTestId('segments').waitFor();
  await shot('app-compose');
  await page.getByRole('button', { name: /^Send to/ }).click();
  await page.getByTestId('message-status').filter({ hasText: 'Completed' }).waitFor({ timeout: 60_000 });
  await shot('app-progress');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in to Steeple' }).waitFor();
  await signIn('ops@steeple.example');
  await page.getByRole('heading', { name: 'SMS queue' }).waitFor();
  await shot('app-queue');
  process.stderr.write(`screenshots written to ${docs}\n`);
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
