/**
 * Store-IT commands for running the gateway as a service (issue 16):
 *   install-service [--config FILE] [--user trouw] [--out FILE | --print]
 *   backup --out FILE [--config FILE]
 *   restore FILE [--config FILE]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../config/load';
import { backupDatabase, restoreDatabase } from '../app/service/backup';
import { DEFAULT_UNIT, renderUnit } from '../app/service/systemd-unit';

const BIN = fileURLToPath(new URL('../../bin/trouw-gateway.mjs', import.meta.url));

export async function runInstallService(o: {
  config?: string | undefined;
  user?: string | undefined;
  out?: string | undefined;
  print?: boolean | undefined;
}): Promise<number> {
  const configFile = resolve(o.config ?? DEFAULT_UNIT.config);
  // The config decides the HCI capabilities; a config not written yet gets none.
  const config = existsSync(configFile) ? loadConfig({ file: configFile }) : undefined;
  const unit = renderUnit({
    ...DEFAULT_UNIT,
    node: process.execPath,
    bin: BIN,
    config: configFile,
    user: o.user ?? DEFAULT_UNIT.user,
    hciCapabilities: config?.presence.scanners.some((s) => s.hciDevice !== undefined) ?? false,
  });
  if (o.print) {
    process.stdout.write(unit);
    return 0;
  }
  const out = resolve(o.out ?? '/etc/systemd/system/trouw-gateway.service');
  writeFileSync(out, unit, { mode: 0o644 });
  console.log(`wrote ${out}`);
  const verify = spawnSync('systemd-analyze', ['verify', out], { encoding: 'utf8' });
  if (verify.error) console.log('systemd-analyze not found: not verified');
  else if (verify.status !== 0 || verify.stderr.trim()) {
    console.error(`systemd-analyze verify ${out}:\n${verify.stderr.trim()}`);
    return 1;
  } else console.log('systemd-analyze verify: ok');
  const user = o.user ?? DEFAULT_UNIT.user;
  console.log(`next:
  useradd --system --user-group --home-dir /var/lib/trouw --shell /usr/sbin/nologin ${user}   # once
  systemctl daemon-reload && systemctl enable --now trouw-gateway
  journalctl -u trouw-gateway -f -o cat                                        # JSON log lines`);
  return 0;
}

export async function runBackup(o: { config?: string | undefined; out?: string | undefined }): Promise<number> {
  if (!o.out) {
    console.error('trouw-gateway backup: --out FILE is required');
    return 2;
  }
  const config = loadConfig({ file: o.config });
  const r = await backupDatabase(config.database.path, resolve(o.out), { busyTimeoutMs: config.database.busyTimeoutMs });
  console.log(
    `backup ${r.file}: ${r.bytes} bytes, schema version ${r.schemaVersion}, ${r.audit.salesCount} sales, ${r.audit.members} members, audit ok, ${r.ms} ms`,
  );
  return 0;
}

export function runRestore(o: { config?: string | undefined; file?: string | undefined }): number {
  if (!o.file) {
    console.error('trouw-gateway restore: the backup FILE is required');
    return 2;
  }
  const config = loadConfig({ file: o.config });
  const r = restoreDatabase(config.database.path, resolve(o.file));
  console.log(
    `restored ${r.restored} from ${r.from} (schema version ${r.schemaVersion}; start migrates it if older)${r.movedAside ? `; the previous database is kept as ${r.movedAside}` : ''}`,
  );
  return 0;
}
