/**
 * The Electron main process of the kiosk with `electron` replaced by a test double (its
 * binary cannot be downloaded here, DESIGN.md §10): window options, navigation guards,
 * IPC sender validation, the crash/hang watchdog, and config from the environment.
 */
import type { EventEmitter } from 'node:events';
import { beforeEach, describe, expect, it, vi } from 'vitest';

const fake = vi.hoisted(() => ({
  handlers: new Map<string, (event: unknown, ...args: unknown[]) => unknown>(),
  windows: [] as unknown[],
}));

vi.mock('electron', async () => {
  const { EventEmitter } = await import('node:events');
  class FakeContents extends EventEmitter {
    openHandler?: () => unknown;
    crashed = 0;
    setWindowOpenHandler(h: () => unknown) {
      this.openHandler = h;
    }
    closeDevTools() {}
    forcefullyCrashRenderer() {
      this.crashed++;
    }
  }
  class BrowserWindow extends EventEmitter {
    webContents = new FakeContents();
    loads: string[] = [];
    constructor(public options: unknown) {
      super();
      fake.windows.push(this);
    }
    loadURL(url: string) {
      this.loads.push(url);
      return Promise.resolve();
    }
    show() {}
  }
  return {
    app: { getVersion: () => '45.0.0', enableSandbox() {}, whenReady: () => Promise.resolve(), on() {}, quit() {}, exit() {} },
    BrowserWindow,
    ipcMain: { handle: (ch: string, h: (event: unknown, ...args: unknown[]) => unknown) => fake.handlers.set(ch, h) },
    session: { defaultSession: { setPermissionRequestHandler() {}, setPermissionCheckHandler() {}, webRequest: { onHeadersReceived() {} } } },
  };
});

const { createKioskWindow, registerIpc, installWatchdog } = await import('../../kiosk/main/shell');
const { IPC_SHELL_INFO, isAllowedUrl, isTrustedSender, shellConfigFrom, windowOptions } = await import('../../kiosk/main/policy');

const config = shellConfigFrom({ TROUW_KIOSK_URL: 'http://10.0.0.5:8080/kiosk/?kiosk=k1' });
const ORIGIN = 'http://10.0.0.5:8080';

type FakeWindow = EventEmitter & {
  options: Record<string, unknown>;
  loads: string[];
  webContents: EventEmitter & { openHandler?: () => unknown; crashed: number };
};

describe('kiosk shell (Electron main)', () => {
  beforeEach(() => {
    fake.handlers.clear();
    fake.windows.length = 0;
  });

  it('opens a locked-down full-screen kiosk window on the gateway kiosk URL', () => {
    createKioskWindow(config, '/app/preload.cjs');
    const win = fake.windows[0] as FakeWindow;
    expect(win.loads).toEqual(['http://10.0.0.5:8080/kiosk/?kiosk=k1']);
    expect(win.options).toMatchObject({
      kiosk: true,
      fullscreen: true,
      webPreferences: { contextIsolation: true, sandbox: true, nodeIntegration: false, webviewTag: false, devTools: false, preload: '/app/preload.cjs' },
    });
    expect(windowOptions({ ...config, production: false }, 'p').webPreferences?.devTools).toBe(true);
  });

  it('refuses navigation, redirects and new windows outside the gateway kiosk app', () => {
    createKioskWindow(config, 'p');
    const wc = (fake.windows[0] as FakeWindow).webContents;
    const nav = (event: string, url: string) => {
      const e = { preventDefault: vi.fn(), url };
      wc.emit(event, e, url);
      return e.preventDefault.mock.calls.length > 0;
    };
    expect(nav('will-navigate', 'http://10.0.0.5:8080/kiosk/?kiosk=k1')).toBe(false);
    expect(nav('will-navigate', 'https://evil.example/')).toBe(true);
    expect(nav('will-navigate', 'http://10.0.0.5:8080/api/members/M-1')).toBe(true);
    expect(nav('will-redirect', 'http://10.0.0.5:9999/kiosk/')).toBe(true);
    expect(nav('will-frame-navigate', 'file:///etc/passwd')).toBe(true);
    expect(wc.openHandler?.()).toEqual({ action: 'deny' });
    const webview = { preventDefault: vi.fn() };
    wc.emit('will-attach-webview', webview);
    expect(webview.preventDefault).toHaveBeenCalled();
    // Dev-tools shortcuts are swallowed in production.
    const key = { preventDefault: vi.fn() };
    wc.emit('before-input-event', key, { key: 'I', control: true, shift: true, meta: false });
    expect(key.preventDefault).toHaveBeenCalled();
  });

  it('answers the bridge only to the kiosk page main frame', async () => {
    registerIpc(ORIGIN, config);
    const h = fake.handlers.get(IPC_SHELL_INFO)!;
    expect(h({ senderFrame: { url: `${ORIGIN}/kiosk/?kiosk=k1`, parent: null } })).toEqual({ shell: 'electron', version: '45.0.0', production: true });
    expect(() => h({ senderFrame: { url: 'https://evil.example/kiosk/', parent: null } })).toThrow(/refused/);
    expect(() => h({ senderFrame: { url: `${ORIGIN}/kiosk/`, parent: {} } })).toThrow(/refused/);
    expect(() => h({ senderFrame: null })).toThrow(/refused/);
    expect(isTrustedSender({ url: 'not a url' }, ORIGIN)).toBe(false);
  });

  it('reloads after a renderer crash, a hang, and a failed load', async () => {
    const { BrowserWindow } = await import('electron');
    const win = new BrowserWindow({}) as unknown as FakeWindow;
    win.loads.push(config.url);
    const timers: (() => void)[] = [];
    installWatchdog(win as never, config, { setTimeout: ((fn: () => void) => (timers.push(fn), 1)) as never, clearTimeout: (() => undefined) as never });
    win.webContents.emit('render-process-gone', {}, { reason: 'crashed' });
    expect(win.loads).toHaveLength(2);
    win.emit('unresponsive');
    win.emit('unresponsive'); // one timer per hang
    expect(timers).toHaveLength(1);
    timers.shift()!();
    expect(win.webContents.crashed).toBe(1);
    expect(win.loads).toHaveLength(3);
    win.webContents.emit('did-fail-load', {}, -102, 'refused', config.url, true);
    timers.shift()!();
    expect(win.loads).toHaveLength(4);
  });

  it('reads its URL from the environment and refuses anything but a gateway kiosk page', () => {
    expect(() => shellConfigFrom({})).toThrow(/TROUW_KIOSK_URL is not set/);
    expect(() => shellConfigFrom({ TROUW_KIOSK_URL: 'file:///kiosk/index.html' })).toThrow(/http/);
    expect(() => shellConfigFrom({ TROUW_KIOSK_URL: 'http://gw:8080/admin' })).toThrow(/\/kiosk/);
    expect(shellConfigFrom({ TROUW_KIOSK_URL: 'http://gw:8080/kiosk/', TROUW_KIOSK_DEV: '1' }).production).toBe(false);
    expect(isAllowedUrl('http://gw:8080/kiosk', 'http://gw:8080')).toBe(true);
    expect(isAllowedUrl('http://gw:8080/kioskx', 'http://gw:8080')).toBe(false);
  });
});
