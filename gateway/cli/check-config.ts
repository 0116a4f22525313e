import { loadConfig } from '../config/load';

export async function runCheckConfig(file: string | undefined): Promise<number> {
  const c = loadConfig({ file });
  const lanes = c.lanes.map((l) => `${l.id} (${l.transport === 'serial' ? `${l.path} @ ${l.baudRate}` : `tcp ${l.mode} ${l.host}:${l.port}`})`);
  console.log(`config ok: store ${c.store.id}/${c.store.gateway}, time zone ${c.store.timeZone}, database ${c.database.path}`);
  console.log(`  lanes: ${lanes.length ? lanes.join(', ') : 'none'}`);
  console.log(`  earning: ${c.loyalty.pointsPerEuro} point(s) per euro, rounding ${c.loyalty.rounding}, points expire after ${c.loyalty.expiryMonths} months`);
  return 0;
}
