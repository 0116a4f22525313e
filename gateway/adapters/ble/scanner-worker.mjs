/* global process, Buffer, setTimeout, clearTimeout, setInterval, clearInterval, console */
/**
 * One scanner worker: a child process that drives one HCI controller through noble's own HCI
 * layer and sends plain adverts to the gateway over IPC (messages: worker-protocol.ts).
 *
 * Why a process per controller: the UART socket reads its port from the environment when it
 * binds, and reads it again when it reconnects, so two controllers in one process would race
 * on one variable; noble also installs process-wide SIGINT/exit handlers. A process has its
 * own environment and dies cleanly, and a controller that wedges noble takes only its worker
 * down. See docs/presence.md.
 *
 * Plain JavaScript on purpose: the worker runs without the TypeScript loader, which would
 * cost each worker ~25 MB of memory and ~0.1 s of start-up for 200 lines of glue.
 *
 * noble's traps handled here (DESIGN.md §3): its per-device maps never shrink, and it keeps a
 * stale `manufacturerData` when a peripheral object is re-used. The worker deletes every
 * trace of a device as soon as its advert is read, so each advert is parsed afresh and memory
 * is flat however many rotating addresses pass. Addresses never leave this process.
 */
import { createRequire } from 'node:module';
import tty from 'node:tty';

const WORKER_CONFIG_ENV = 'TROUW_BLE_WORKER';

/** @param {import('./worker-protocol').WorkerToParent} m */
const send = (m) => {
  if (process.connected) process.send(m);
};

let failed = false;
/** Reports the failure and exits; the gateway restarts the worker with back-off. */
function fail(reason) {
  if (failed) return;
  failed = true;
  send({ t: 'failed', reason: String(reason).replace(/^(Error: )+/, '') });
  // Let the IPC message leave before exiting.
  setTimeout(() => process.exit(1), 20);
}

function main() {
  const raw = process.env[WORKER_CONFIG_ENV];
  if (!raw || !process.send) {
    console.error('scanner-worker: start me from the gateway (fork with IPC and TROUW_BLE_WORKER)');
    process.exit(2);
  }
  /** @type {import('./worker-protocol').WorkerConfig} */
  const cfg = JSON.parse(raw);
  // Every device is reported on every advert: otherwise noble holds back connectable
  // adverts until a scan response or a second sighting, which pruning would never allow.
  process.env.NOBLE_REPORT_ALL_HCI_EVENTS = '1';

  send({ t: 'state', state: 'starting' });
  const require = createRequire(import.meta.url);
  let noble;
  try {
    noble = require('@abandonware/noble');
  } catch (e) {
    fail(`cannot load noble: ${e.message}`);
    return;
  }

  const accept = cfg.accept.map((h) => Buffer.from(h, 'hex'));
  const stats = { heard: 0, passed: 0, dropped: 0 };
  let batch = { rssi: [], data: [], at: [] };
  let flushTimer = null;
  let wasOn = false;
  let scanning = false;
  let stopping = false;

  const flush = () => {
    if (flushTimer) clearTimeout(flushTimer);
    flushTimer = null;
    if (batch.rssi.length === 0) return;
    const now = Date.now();
    send({ t: 'adverts', rssi: batch.rssi, data: batch.data, age: batch.at.map((t) => now - t) });
    batch = { rssi: [], data: [], at: [] };
  };

  const b = noble._bindings;
  /** Every map noble keys by device, in noble, its HCI bindings and its GAP layer. */
  const forget = (p) => {
    delete noble._peripherals[p.id];
    delete noble._services[p.id];
    delete noble._characteristics[p.id];
    delete noble._descriptors[p.id];
    delete noble._discoveredPeripheralUUids[p.id];
    delete b._addresses[p.id];
    delete b._addresseTypes[p.id];
    delete b._connectable[p.id];
    delete b.scannable[p.id];
    delete b._gap._discoveries[p.address];
  };

  const accepted = (md) => {
    if (accept.length === 0) return true;
    for (const prefix of accept) if (md.length >= prefix.length && md.compare(prefix, 0, prefix.length, 0, prefix.length) === 0) return true;
    return false;
  };

  /** One advert as read: counted, filtered, batched (the same rules on both paths). */
  const onAdvert = (md, rssi) => {
    stats.heard++;
    if (stopping || failed || !md || md.length === 0 || rssi === 127 || !accepted(md)) {
      stats.dropped++;
      return;
    }
    stats.passed++;
    batch.rssi.push(rssi);
    batch.data.push(md.toString('hex'));
    batch.at.push(Date.now());
    if (batch.rssi.length >= cfg.batchMax) flush();
    else flushTimer ??= setTimeout(flush, cfg.batchMs);
  };

  // noble's own advert path: the control (`advertPath: 'noble'`), and the fallback when its
  // HCI internals are not where readAdvertsDirectly expects them.
  noble.on('discover', (p) => {
    const md = p.advertisement.manufacturerData;
    const rssi = p.rssi;
    if (cfg.prune !== false) forget(p);
    onAdvert(md, rssi);
  });
  noble.on('stateChange', (state) => {
    if (stopping || failed) return;
    if (state === 'poweredOn') {
      wasOn = true;
      send({ t: 'state', state: 'poweredOn' });
      noble.startScanning([], true); // allowDuplicates: every advert, not one per address
    } else if (state === 'unsupported' || state === 'unauthorized') {
      fail(`controller ${state}`);
    } else if (state === 'poweredOff' && wasOn) {
      flush();
      fail('controller gone (poweredOff)');
    }
  });
  noble.on('scanStart', () => {
    scanning = true;
    send({ t: 'state', state: 'scanning' });
  });
  noble.on('scanStop', () => {
    if (stopping || failed) return;
    // Something (a controller reset) stopped the scan: ask again.
    scanning = false;
    noble.startScanning([], true);
  });

  if (cfg.uartRead !== 'serialport') readUartThroughTty(b, fail);
  // Wake noble: the first startScanning binds the socket. Scanning starts on poweredOn.
  try {
    noble.startScanning([], true);
  } catch {
    // "state is poweredOff": expected before the controller answers; poweredOn starts the scan.
  }
  if (cfg.advertPath !== 'noble') readAdvertsDirectly(b, onAdvert);
  try {
    b._hci._socket.on('error', (e) => {
      if (!stopping) fail(`controller port: ${e.message}`);
    });
  } catch {
    // A noble without these internals: the start timeout still catches a dead port.
  }
  setTimeout(() => {
    if (!scanning && !stopping) fail(`no answer from the controller within ${cfg.startTimeoutMs} ms`);
  }, cfg.startTimeoutMs).unref();

  const report = () => {
    const m = process.memoryUsage();
    send({
      t: 'stats',
      ...stats,
      peripherals: Object.keys(noble._peripherals).length,
      discoveries: Object.keys(b._gap._discoveries).length,
      bindingAddresses: Object.keys(b._addresses).length,
      heapUsed: m.heapUsed,
      rss: m.rss,
    });
  };
  const statsTimer = setInterval(report, cfg.statsIntervalMs);

  const stop = () => {
    if (stopping) return;
    stopping = true;
    clearInterval(statsTimer);
    flush();
    try {
      noble.stopScanning();
    } catch {
      // not scanning
    }
    // Give the scan-disable command a moment on the wire, then go.
    setTimeout(() => process.exit(0), 50);
  };

  process.on('message', (m) => {
    if (m.t === 'stop') stop();
    else if (m.t === 'stats') report();
    else if (m.t === 'gc') {
      globalThis.gc?.();
      report();
    }
  });
  // The gateway went away: nobody to report to.
  process.on('disconnect', () => {
    stopping = true;
    process.exit(0);
  });
  process.on('uncaughtException', (e) => fail(`worker fault: ${e.message}`));
}

/**
 * The hot path, off noble (issue 18: most of the worker's CPU at 2,600 adverts/s went to
 * noble's per-advert work: a Readable push per HCI packet, debug() calls, the address
 * formatted with a regular expression, a Gap discovery object, a Peripheral object, our
 * pruning of all of it). LE Advertising Report packets are taken from the HCI packet parser
 * (UART) or the socket's `data` event (kernel HCI socket) before noble sees them and read
 * here: per report its manufacturer data (the last 0xFF AD structure, as noble keeps it) and
 * its RSSI. Every other packet (command completes, state) still goes through noble, which
 * keeps driving the controller. noble's per-device maps stay empty because it never hears
 * of a device.
 *
 * @param {any} b noble's HCI bindings
 * @param {(md: Buffer | undefined, rssi: number) => void} onAdvert
 * @returns {boolean} false when noble's internals are not as expected (noble's path is used)
 */
function readAdvertsDirectly(b, onAdvert) {
  const socket = b?._hci?._socket;
  if (!socket) return false;
  /** True when the packet was an LE Advertising Report and was handled here. */
  const take = (p) => {
    // H4 event 0x04, LE Meta 0x3E, length, subevent 0x02 (LE Advertising Report), count.
    if (p.length < 5 || p[0] !== 0x04 || p[1] !== 0x3e || p[3] !== 0x02) return false;
    const n = p[4];
    let o = 5;
    for (let r = 0; r < n; r++) {
      // type, address type, address[6], data length, data, rssi
      if (o + 9 > p.length) break;
      const len = p[o + 8];
      const end = o + 9 + len;
      if (end >= p.length) break;
      const rssi = p[end] > 127 ? p[end] - 256 : p[end];
      let md;
      for (let i = o + 9; i + 1 < end;) {
        const l = p[i];
        if (l < 1 || i + l + 1 > end) break;
        if (p[i + 1] === 0xff) md = p.subarray(i + 2, i + l + 1);
        i += l + 1;
      }
      onAdvert(md, rssi);
      o = end + 1;
    }
    return true;
  };
  if (typeof socket.emit !== 'function') return false;
  const TAKEN = Symbol.for('trouw.advertsTaken');
  /** The UART packet parser (a new one after each reconnect): adverts leave it without a stream push. */
  const wrapParser = () => {
    const parser = socket._hciSerialParser;
    if (!parser || parser[TAKEN] || typeof parser.push !== 'function') return;
    const push = parser.push.bind(parser);
    parser.push = (packet) => (packet && take(packet) ? true : push(packet));
    parser[TAKEN] = true;
  };
  wrapParser();
  // The socket's packets (the kernel HCI socket; the UART's until its parser is wrapped).
  const emit = socket.emit.bind(socket);
  socket.emit = (event, ...args) => {
    if (event !== 'data' || !args[0]) return emit(event, ...args);
    wrapParser();
    return take(args[0]) ? true : emit(event, ...args);
  };
  return true;
}

/**
 * The UART's bytes through libuv's tty handle (epoll, read on the event loop) instead of
 * serialport's reads (issue 18): serialport reads through the thread pool and, when a read
 * comes back empty (EAGAIN, an Error built each time), waits on its poller and reads again,
 * so a controller reporting every few milliseconds cost two thread-pool round trips per
 * burst; measured at 2,600 adverts/s, a bare reader spends about half the CPU this way.
 * serialport still opens and configures the port (baud, raw mode) and writes the commands.
 *
 * Installed when the UART socket makes its SerialPort (bindUser, also on a reconnect), before
 * the port opens: the stream's first read is queued for 'open' and calls `_read` then, so
 * serialport never starts a read of its own (two readers on one line could reorder bytes).
 * A port that is not a tty reads as serialport does.
 */
function readUartThroughTty(b, fail) {
  const socket = b?._hci?._socket;
  if (!socket || typeof socket.bindUser !== 'function') return;
  const bindUser = socket.bindUser.bind(socket);
  // The UART socket makes its SerialPort in bindUser (again on each reconnect) and opens it after.
  socket.bindUser = (...args) => {
    const out = bindUser(...args);
    readThroughTty(socket._serialDevice, fail);
    return out;
  };
}

function readThroughTty(dev, fail) {
  if (!dev || dev.isOpen || typeof dev._read !== 'function') return;
  const read = dev._read.bind(dev);
  let mode = 'unset';
  dev._read = (n) => {
    if (mode === 'tty') return; // the tty stream pushes as bytes come
    if (mode === 'serialport' || !dev.isOpen) return read(n);
    const fd = dev.port?.fd;
    if (typeof fd !== 'number' || !tty.isatty(fd)) {
      mode = 'serialport';
      return read(n);
    }
    mode = 'tty';
    const rs = new tty.ReadStream(fd);
    rs.on('data', (chunk) => dev.push(chunk));
    // The line went away (EIO, or an end of file when the other side closed): what
    // serialport does when its read fails, so the UART socket reports it as it always has.
    const gone = (e) => {
      if (!dev.isOpen) return;
      if (typeof dev._disconnected === 'function') dev._disconnected(e);
      else fail(`controller port: ${e.message}`);
    };
    rs.on('error', gone);
    rs.on('end', () => gone(new Error('the controller port closed')));
    dev.once('close', () => rs.destroy());
  };
}

main();
