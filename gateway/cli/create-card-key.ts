import { existsSync } from 'node:fs';
import { loadConfig } from '../config/load';
import { createCardKeyFile } from '../adapters/nfc/card-key';

export async function runCreateCardKey(file: string | undefined): Promise<number> {
  const { keyFile } = loadConfig({ file }).cards;
  if (existsSync(keyFile)) {
    console.error(`create-card-key: ${keyFile} exists; not overwriting (every linked card depends on it)`);
    return 1;
  }
  createCardKeyFile(keyFile);
  console.log(`created ${keyFile} (mode 600)`);
  return 0;
}
