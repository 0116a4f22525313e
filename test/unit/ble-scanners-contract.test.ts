/** The BleScanners contract against the in-process scanners (gateway/adapters/ble/in-process-scanners.ts). */
import { createInProcessScanners } from '../../gateway/adapters/ble/in-process-scanners';
import { systemClock } from '../../gateway/ports/clock';
import { bleScannersContract } from '../support/ble-scanners-contract';

bleScannersContract('in-process', async () => {
  const scanners = createInProcessScanners([{ name: 'entrance', zone: 'A', transport: { kind: 'uart', path: '/dev/null', baudRate: 1_000_000 } }], systemClock);
  return {
    scanners,
    scanner: 'entrance',
    hear: async (adverts) => {
      for (const a of adverts) scanners.push({ scanner: 'entrance', rssi: a.rssi, manufacturerData: a.manufacturerData });
    },
    unplug: async () => scanners.setState('entrance', 'down', 'controller unplugged'),
    plugIn: async () => scanners.setState('entrance', 'up'),
    teardown: () => scanners.stop(),
  };
});
