/**
 * The gateway's systemd unit (issue 16; README "Running a store"), rendered by
 * `trouw-gateway install-service` and shipped as ops/systemd/trouw-gateway.service (the same
 * function with the default paths; a test keeps the two equal and checks the rendered one with
 * `systemd-analyze verify`).
 *
 * Why each line:
 * - Its own user (`User=trouw`, created by the installer as a system user with no login),
 *   `SupplementaryGroups=dialout` for the till's serial port and USB-UART BLE dongles
 *   (/dev/ttyUSB*, /dev/ttyACM* are group dialout on Debian).
 * - `StateDirectory=trouw` with mode 0700: systemd creates /var/lib/trouw owned by the user;
 *   the database, generated kiosk screen keys and the card key live there; nothing else may
 *   read them. The database path points into it (TROUW_DATABASE__PATH).
 * - `ProtectSystem=strict`, `ProtectHome=yes`, `NoNewPrivileges=yes`, `PrivateTmp=yes`: the
 *   gateway writes only its state directory. Unix sockets stay reachable on a read-only
 *   mount, so pcscd's /run/pcscd/pcscd.comm works; pcscd itself runs as its own service.
 * - `AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN` only when a scanner uses the kernel's
 *   HCI (`presence.scanners[].hciDevice`): raw HCI sockets need them. UART dongles need none.
 * - `Restart=on-failure`: a crash restarts it (2 s later); a clean stop does not.
 * - `TimeoutStopSec=20`: the graceful stop (cli/start.ts) finishes the till request in hand
 *   (link grace 3 s), flushes presence and sync, and is cut off by itself after 10 s;
 *   systemd waits 20 s before SIGKILL, so the gateway's own deadline always comes first.
 *   `KillMode=mixed`: SIGTERM to the gateway only (it stops its scanner workers itself),
 *   SIGKILL to everything left at the timeout.
 * - Logs: pino writes JSON lines to stdout, which `StandardOutput=journal` hands to journald
 *   (`journalctl -u trouw-gateway -o cat | jq` reads them).
 */
export interface UnitOptions {
  /** The node binary (absolute). */
  node: string;
  /** bin/trouw-gateway.mjs (absolute). */
  bin: string;
  /** The config file (absolute). */
  config: string;
  user: string;
  /** Name of the state directory under /var/lib. */
  stateDirectory: string;
  /** Add the capabilities raw HCI sockets need (scanners on hciN). */
  hciCapabilities: boolean;
}

export const DEFAULT_UNIT: UnitOptions = {
  node: '/usr/bin/node',
  bin: '/opt/trouw/bin/trouw-gateway.mjs',
  config: '/etc/trouw/gateway.json',
  user: 'trouw',
  stateDirectory: 'trouw',
  hciCapabilities: false,
};

export function renderUnit(o: UnitOptions): string {
  for (const [k, v] of Object.entries({ node: o.node, bin: o.bin, config: o.config })) {
    if (!v.startsWith('/') || /\s/.test(v)) throw new Error(`${k}: an absolute path without spaces is needed in a unit file, got ${v}`);
  }
  if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(o.user)) throw new Error(`user: a system user name, got ${o.user}`);
  if (!/^[a-z0-9][a-z0-9._-]*$/.test(o.stateDirectory)) throw new Error(`stateDirectory: a directory name, got ${o.stateDirectory}`);
  const state = `/var/lib/${o.stateDirectory}`;
  return `# Trouw store gateway. Written by \`trouw-gateway install-service\`; README "Running a store".
# Why each setting: gateway/app/service/systemd-unit.ts.
[Unit]
Description=Trouw store gateway (till lanes, loyalty ledger, presence, HQ sync)
Documentation=file://${o.bin.replace(/\/bin\/trouw-gateway\.mjs$/, '/README.md')}
After=network-online.target pcscd.socket
Wants=network-online.target pcscd.socket

[Service]
Type=simple
User=${o.user}
Group=${o.user}
SupplementaryGroups=dialout
ExecStart=${o.node} ${o.bin} start --config ${o.config}
WorkingDirectory=${state}
Environment=NODE_ENV=production
Environment=TROUW_DATABASE__PATH=${state}/trouw.db
StateDirectory=${o.stateDirectory}
StateDirectoryMode=0700
UMask=0077
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
NoNewPrivileges=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectControlGroups=yes
RestrictRealtime=yes
LockPersonality=yes
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK AF_BLUETOOTH
${o.hciCapabilities ? 'AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN\nCapabilityBoundingSet=CAP_NET_RAW CAP_NET_ADMIN\n' : 'CapabilityBoundingSet=\n'}Restart=on-failure
RestartSec=2s
KillMode=mixed
TimeoutStopSec=20s
StandardOutput=journal
StandardError=journal
SyslogIdentifier=trouw-gateway

[Install]
WantedBy=multi-user.target
`;
}
