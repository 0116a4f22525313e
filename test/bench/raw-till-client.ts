/**
 * A bare till for timing: writes one request frame, notes when its last byte left, and
 * notes when the first byte of the response frame arrives (the gateway's ACK comes first
 * and is not counted). Uses the project's framing, nothing of the link engine, so the
 * figure is the gateway's processing plus the pty's own latency (an upper bound).
 */
import { SerialPort } from 'serialport';
import { ACK, STX, encodeFrame, FrameDecoder } from '../../gateway/core/till/frame';

export interface Timed {
  body: string;
  processingMs: number;
  /** performance.now() when the last request byte went out (to line a slow sale up with a GC pause). */
  sentAt: number;
  requestBytes: number;
  responseBytes: number;
}

export class RawTillClient {
  private readonly port: SerialPort;
  private readonly decoder = new FrameDecoder();
  private seq = 0;
  private waiter: ((chunk: Buffer, at: number) => void) | null = null;

  constructor(path: string, baudRate: number) {
    this.port = new SerialPort({ path, baudRate, autoOpen: false });
    this.port.on('data', (chunk: Buffer) => this.waiter?.(chunk, performance.now()));
  }

  open(): Promise<void> {
    return new Promise((res, rej) => this.port.open((e) => (e ? rej(e) : res())));
  }

  close(): Promise<void> {
    return new Promise((res) => this.port.close(() => res()));
  }

  async exchange(body: string): Promise<Timed> {
    const frame = encodeFrame(this.seq, body);
    this.seq = (this.seq + 1) % 256;
    let firstResponseByteAt = 0;
    let responseBytes = 0;
    const done = new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no response in 5 s')), 5000);
      this.waiter = (chunk, at) => {
        for (const byte of chunk) {
          if (!firstResponseByteAt && byte === STX) firstResponseByteAt = at;
          if (firstResponseByteAt) responseBytes++;
        }
        for (const ev of this.decoder.push(chunk, at)) {
          if (ev.kind === 'frame') {
            clearTimeout(timer);
            this.port.write(Buffer.from([ACK]));
            resolve(ev.body);
          }
        }
      };
    });
    // Taken before the write: on a pty the bytes are at the gateway as soon as write()
    // returns, and the drain callback can fire after the answer started (an underestimate).
    const lastRequestByteOut = performance.now();
    await new Promise<void>((res, rej) => this.port.write(Buffer.from(frame), (e) => (e ? rej(e) : res())));
    const response = await done;
    this.waiter = null;
    return { body: response, processingMs: firstResponseByteAt - lastRequestByteOut, sentAt: lastRequestByteOut, requestBytes: frame.length, responseBytes };
  }
}
