import { loadConfig } from '../config/load';
import { loadRadioMap } from '../config/radio-map-file';

export async function runCheckConfig(file: string | undefined): Promise<number> {
  const c = loadConfig({ file });
  // The radio map is part of the config it names: a bad one fails here as at start.
  const radioMap = loadRadioMap(c.presence);
  const lanes = c.lanes.map((l) => `${l.id} (${l.transport === 'serial' ? `${l.path} @ ${l.baudRate}` : `tcp ${l.mode} ${l.host}:${l.port}`})`);
  console.log(`config ok: store ${c.store.id}/${c.store.gateway}, time zone ${c.store.timeZone}, database ${c.database.path}`);
  console.log(`  lanes: ${lanes.length ? lanes.join(', ') : 'none'}`);
  console.log(`  earning: ${c.loyalty.pointsPerEuro} point(s) per euro, rounding ${c.loyalty.rounding}, points expire after ${c.loyalty.expiryMonths} months`);
  if (radioMap) {
    const zones = new Set(radioMap.map.points.map((p) => p.zone)).size;
    console.log(
      `  presence: zones by radio map ${c.presence.radioMap!.file} (${radioMap.map.points.length} points in ${zones} zones, ${radioMap.map.scanners.length} scanners)`,
    );
  }
  return 0;
}
