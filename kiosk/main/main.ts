/**
 * Entry point of the kiosk shell: `electron kiosk/main/dist/main.cjs` (kiosk/README.md).
 * Reads TROUW_KIOSK_URL; a bad value is one clear line and exit code 2.
 */
import { join } from 'node:path';
import { app } from 'electron';
import { ShellConfigError, shellConfigFrom } from './policy';
import { startShell } from './shell';

try {
  const config = shellConfigFrom(process.env);
  void startShell(config, join(__dirname, 'preload.cjs'));
} catch (e) {
  if (!(e instanceof ShellConfigError)) throw e;
  console.error(`trouw-kiosk: ${e.message}`);
  app.exit(2);
}
