/**
 * Debian's chromium as the browser tests and the screenshot script launch it: where it is, and the
 * flags that keep a headless run offline and quiet (no background network, sync or updates).
 */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
