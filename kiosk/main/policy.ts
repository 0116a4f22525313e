/**
 * The kiosk shell's rules, free of Electron so they are unit-tested as plain functions
 * (Electron's security checklist; STYLE.md §10): the window's web preferences, which URLs
 * the window may show, and which senders may call the preload bridge.
 */
import type { BrowserWindowConstructorOptions } from 'electron';

export interface ShellConfig {
  /** The kiosk page on the gateway, e.g. http://192.168.1.10:8080/kiosk/?kiosk=k1&key=… */
  url: string;
  /** Production: full screen kiosk mode, no dev tools. */
  production: boolean;
  /** Reload a page that has not answered for this long (ms). */
  hangReloadMs: number;
}

export class ShellConfigError extends Error {}

/** From the environment: TROUW_KIOSK_URL (required), TROUW_KIOSK_DEV=1 for a developer window. */
export function shellConfigFrom(env: Record<string, string | undefined>): ShellConfig {
  const raw = env.TROUW_KIOSK_URL;
  if (!raw) throw new ShellConfigError('TROUW_KIOSK_URL is not set: expected the gateway kiosk page, e.g. http://gateway:8080/kiosk/?kiosk=k1');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ShellConfigError(`TROUW_KIOSK_URL "${raw}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ShellConfigError(`TROUW_KIOSK_URL must be http(s), got ${url.protocol}`);
  if (!url.pathname.startsWith('/kiosk')) throw new ShellConfigError("TROUW_KIOSK_URL must point at the gateway's /kiosk/ page");
  return { url: url.href, production: env.TROUW_KIOSK_DEV !== '1', hangReloadMs: 10_000 };
}

export const originOf = (url: string) => new URL(url).origin;

/** Only pages of the gateway's own origin, and only its kiosk app. */
export function isAllowedUrl(target: string, gatewayOrigin: string): boolean {
  let u: URL;
  try {
    u = new URL(target);
  } catch {
    return false;
  }
  return u.origin === gatewayOrigin && (u.pathname === '/kiosk' || u.pathname.startsWith('/kiosk/'));
}

/** IPC: the sender must be the kiosk window's main frame showing a gateway page. */
export function isTrustedSender(frame: { url: string; parent?: unknown } | null | undefined, gatewayOrigin: string): boolean {
  if (!frame || frame.parent) return false;
  return isAllowedUrl(frame.url, gatewayOrigin);
}

export function windowOptions(config: ShellConfig, preloadPath: string): BrowserWindowConstructorOptions {
  return {
    show: false,
    fullscreen: config.production,
    kiosk: config.production,
    frame: !config.production,
    autoHideMenuBar: true,
    backgroundColor: '#f6f4ef',
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      devTools: !config.production,
    },
  };
}

/** Sent with every response to the window when the gateway sends none (defence in depth). */
export const SHELL_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** The bridge's one operation: what the page may know about the shell. */
export interface ShellInfo {
  shell: 'electron';
  version: string;
  production: boolean;
}
export const IPC_SHELL_INFO = 'trouw-kiosk:shell-info';
