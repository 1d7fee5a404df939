/**
 * Captures the JavaScript call chain of a worker thread that is stuck in a busy loop. A stalled
 * isolate cannot answer messages, but the inspector protocol interrupts it: through the NodeWorker
 * domain the main thread attaches a session to each worker, and `Debugger.pause` stops the worker
 * where it runs and reports its call frames (`Debugger.paused`).
 */
import { Session } from 'node:inspector';
import type { RawFrame } from '../../diag/fault.types.ts';

interface InspectorFrame {
  functionName: string;
  /** Deprecated in V8 and often empty: the script's URL comes from Debugger.scriptParsed. */
  url: string;
  location: { scriptId: string; lineNumber: number; columnNumber: number };
}

/** A main-thread inspector session attached to every worker thread. */
export class WorkerStackCapture {
  private readonly session = new Session();
  private readonly sessions = new Map<string, string>(); // worker threadId -> inspector sessionId
  private readonly waiters = new Map<string, (m: { id?: number; method?: string; params?: unknown }) => void>();
  private nextId = 1;

  constructor() {
    this.session.connect();
    this.session.on('NodeWorker.attachedToWorker', (m) => {
      const p = m.params as { sessionId: string; workerInfo: { workerId: string } };
      this.sessions.set(p.workerInfo.workerId, p.sessionId);
    });
    this.session.on('NodeWorker.detachedFromWorker', (m) => {
      const p = m.params as { sessionId: string };
      for (const [k, v] of this.sessions) if (v === p.sessionId) this.sessions.delete(k);
    });
    this.session.on('NodeWorker.receivedMessageFromWorker', (m) => {
      const p = m.params as { sessionId: string; message: string };
      this.waiters.get(p.sessionId)?.(JSON.parse(p.message));
    });
    this.session.post('NodeWorker.enable', { waitForDebuggerOnStart: false });
  }

  /**
   * Pauses worker `threadId`, returns its call frames (innermost first) and resumes it. Rejects
   * after `timeoutMs` when the worker cannot be reached.
   */
  async capture(threadId: number, timeoutMs = 2000): Promise<RawFrame[]> {
    const sid = this.sessions.get(String(threadId));
    if (!sid) throw new Error(`no inspector session for worker thread ${threadId}`);
    const send = (method: string, params: object = {}) => {
      const id = this.nextId++;
      this.session.post('NodeWorker.sendMessageToWorker', { sessionId: sid, message: JSON.stringify({ id, method, params }) });
      return id;
    };
    try {
      const scripts = new Map<string, string>(); // scriptId -> url, announced after Debugger.enable
      return await new Promise<RawFrame[]>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`worker thread ${threadId} did not pause within ${timeoutMs} ms`)), timeoutMs);
        this.waiters.set(sid, (m) => {
          if (m.method === 'Debugger.scriptParsed') {
            const p = m.params as { scriptId: string; url: string };
            scripts.set(p.scriptId, p.url);
            return;
          }
          if (m.method !== 'Debugger.paused') return;
          clearTimeout(timer);
          const frames = (m.params as { callFrames: InspectorFrame[] }).callFrames;
          resolve(
            frames.map((f) => ({
              fn: f.functionName,
              file: f.url || scripts.get(f.location.scriptId) || '',
              line: f.location.lineNumber + 1,
              col: f.location.columnNumber + 1,
            })),
          );
        });
        send('Debugger.enable');
        send('Debugger.pause');
      });
    } finally {
      this.waiters.delete(sid);
      send('Debugger.resume');
      send('Debugger.disable');
    }
  }

  /** Detaches from every worker. */
  close(): void {
    this.session.disconnect();
  }
}
