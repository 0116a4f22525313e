/**
 * The Electron main process of the kiosk (issue 7): one full-screen window on the gateway's
 * kiosk page, locked down (policy.ts), kept alive: a crashed renderer is reloaded, a hung
 * one is reloaded after `hangReloadMs`, a failed load (gateway not up yet) is retried.
 */
import { app, BrowserWindow, ipcMain, session, type WebContents } from 'electron';
import { IPC_SHELL_INFO, SHELL_CSP, isAllowedUrl, isTrustedSender, originOf, windowOptions, type ShellConfig, type ShellInfo } from './policy';

/** Refuses navigation, redirects, new windows and webviews outside the gateway's kiosk app. */
export function installGuards(contents: WebContents, gatewayOrigin: string, config: ShellConfig): void {
  const refuse = (event: { preventDefault(): void }, url: string) => {
    if (!isAllowedUrl(url, gatewayOrigin)) event.preventDefault();
  };
  contents.on('will-navigate', (e, url) => refuse(e, url));
  contents.on('will-redirect', (e, url) => refuse(e, url));
  contents.on('will-frame-navigate', (e) => refuse(e, e.url));
  contents.on('will-attach-webview', (e) => e.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  if (config.production) {
    contents.on('devtools-opened', () => contents.closeDevTools());
    contents.on('before-input-event', (e, input) => {
      // No dev tools, reload-by-hand or zoom shortcuts on a store floor.
      const key = input.key.toLowerCase();
      if (input.key === 'F12' || ((input.control || input.meta) && (input.shift || ['r', 'w', 'q', '+', '-', '='].includes(key)))) e.preventDefault();
    });
  }
}

/** Reloads after a renderer crash, a hang, or a failed load (the gateway restarting). */
export function installWatchdog(win: BrowserWindow, config: ShellConfig, timers = { setTimeout, clearTimeout }): void {
  const contents = win.webContents;
  let hang: ReturnType<typeof setTimeout> | undefined;
  const reloadHome = () => void win.loadURL(config.url).catch(() => undefined);
  contents.on('render-process-gone', () => reloadHome());
  win.on('unresponsive', () => {
    hang ??= timers.setTimeout(() => {
      hang = undefined;
      contents.forcefullyCrashRenderer();
      reloadHome();
    }, config.hangReloadMs);
  });
  win.on('responsive', () => {
    if (hang) timers.clearTimeout(hang);
    hang = undefined;
  });
  contents.on('did-fail-load', (_e, _code, _desc, _url, isMainFrame) => {
    if (isMainFrame) timers.setTimeout(reloadHome, 3000);
  });
}

/** The preload bridge's one named operation, answered only to the kiosk page. */
export function registerIpc(gatewayOrigin: string, config: ShellConfig): void {
  ipcMain.handle(IPC_SHELL_INFO, (event): ShellInfo => {
    if (!isTrustedSender(event.senderFrame, gatewayOrigin)) throw new Error('refused: sender is not the kiosk page');
    return { shell: 'electron', version: app.getVersion(), production: config.production };
  });
}

export function createKioskWindow(config: ShellConfig, preloadPath: string): BrowserWindow {
  const origin = originOf(config.url);
  const win = new BrowserWindow(windowOptions(config, preloadPath));
  installGuards(win.webContents, origin, config);
  installWatchdog(win, config);
  win.once('ready-to-show', () => win.show());
  void win.loadURL(config.url).catch(() => undefined);
  return win;
}

/** Session-wide: no permissions (camera, notifications…), and a CSP on anything without one. */
export function lockSession(gatewayOrigin: string): void {
  const s = session.defaultSession;
  s.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  s.setPermissionCheckHandler(() => false);
  s.webRequest.onHeadersReceived((details, callback) => {
    const headers = { ...details.responseHeaders };
    const has = Object.keys(headers).some((k) => k.toLowerCase() === 'content-security-policy');
    if (!has && details.url.startsWith(gatewayOrigin)) headers['Content-Security-Policy'] = [SHELL_CSP];
    callback({ responseHeaders: headers });
  });
}

export async function startShell(config: ShellConfig, preloadPath: string): Promise<BrowserWindow> {
  app.enableSandbox();
  await app.whenReady();
  const origin = originOf(config.url);
  lockSession(origin);
  registerIpc(origin, config);
  app.on('web-contents-created', (_e, contents) => installGuards(contents, origin, config));
  const win = createKioskWindow(config, preloadPath);
  app.on('window-all-closed', () => app.quit());
  return win;
}
