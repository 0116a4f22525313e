/**
 * The preload bridge (sandboxed, context-isolated): named operations only, never a generic
 * send/invoke. The main process checks the sender of each call (shell.ts registerIpc).
 */
import { contextBridge, ipcRenderer } from 'electron';
import { IPC_SHELL_INFO, type ShellInfo } from './policy';

export interface TrouwShellBridge {
  shellInfo(): Promise<ShellInfo>;
}

const bridge: TrouwShellBridge = {
  shellInfo: () => ipcRenderer.invoke(IPC_SHELL_INFO) as Promise<ShellInfo>,
};
contextBridge.exposeInMainWorld('trouwShell', bridge);
