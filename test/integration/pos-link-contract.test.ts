/** The PosLink contract against the real transports: serial over socat, TCP both ways. */
import net from 'node:net';
import { SerialConnector } from '../../gateway/adapters/pos/serial-pos-link';
import { SerialPosLink } from '../../gateway/adapters/pos/serial-pos-link';
import { TcpDialConnector, TcpPosLink } from '../../gateway/adapters/pos/tcp-pos-link';
import { silentLogger } from '../../gateway/adapters/pos/link-types';
import { systemClock } from '../../gateway/ports/clock';
import { posLinkContract } from '../support/pos-link-contract';
import { startSocat } from '../support/socat';

const common = { logger: silentLogger, clock: systemClock, reconnectMinMs: 50, reconnectMaxMs: 300 };

posLinkContract('serial over a socat pty pair', async () => {
  const pair = await startSocat();
  const link = new SerialPosLink({ ...common, lane: 'lane-s', path: pair.a });
  return {
    link,
    transport: 'serial',
    openTill: async () => {
      const conn = await new SerialConnector(pair.b).connect();
      return { stream: conn.stream, close: () => conn.close() };
    },
    teardown: async () => {
      await link.stop();
      await pair.close();
    },
  };
});

posLinkContract('TCP, gateway listening', async () => {
  const link = new TcpPosLink({ ...common, lane: 'lane-t', mode: 'listen', host: '127.0.0.1', port: 0 });
  return {
    link,
    transport: 'tcp',
    openTill: async () => {
      let endpoint = link.health().endpoint;
      for (let i = 0; i < 100 && endpoint.endsWith(':0'); i++) {
        await new Promise((r) => setTimeout(r, 10));
        endpoint = link.health().endpoint;
      }
      const [host, port] = endpoint.split(':');
      const conn = await new TcpDialConnector(host!, Number(port)).connect();
      return { stream: conn.stream, close: () => conn.close() };
    },
    teardown: () => link.stop(),
  };
});

posLinkContract('TCP, gateway dialling the till', async () => {
  const accepted: net.Socket[] = [];
  const server = net.createServer((s) => accepted.push(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const link = new TcpPosLink({ ...common, lane: 'lane-d', mode: 'connect', host: '127.0.0.1', port });
  return {
    link,
    transport: 'tcp',
    openTill: async () => {
      for (let i = 0; i < 300 && accepted.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
      const socket = accepted[0]!;
      return { stream: socket, close: async () => void socket.destroy() };
    },
    teardown: async () => {
      await link.stop();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
});
