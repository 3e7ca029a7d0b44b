// A headless Chromium driven over the DevTools protocol on a pipe (--remote-debugging-pipe:
// JSON messages ended by a NUL, written to its fd 3 and read from its fd 4), so the browser
// test needs no package beyond Debian's chromium: no WebSocket client, no Playwright.
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Readable, Writable } from 'stream';

/** The Chromium binary: $CHROMIUM, else chromium or chromium-browser on the PATH; null when there is none. */
export function findChromium(): string | null {
  const candidates = process.env.CHROMIUM ? [process.env.CHROMIUM] : ['chromium', 'chromium-browser'];
  for (const c of candidates) {
    const r = spawnSync(c, ['--version'], { encoding: 'utf8', timeout: 20000 });
    if (r.status === 0 && /Chrom/.test(r.stdout)) return c;
  }
  return null;
}

interface Message {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message: string };
  sessionId?: string;
}

/** What a page did while it loaded and ran: console errors, exceptions, log errors, requests. */
export interface PageLog {
  errors: string[];
  requests: string[];
}

export class Browser {
  private readonly proc: ChildProcess;
  private readonly dir: string;
  private next = 1;
  private readonly waiting = new Map<number, { resolve: (m: Message) => void; reject: (e: Error) => void }>();
  private readonly listeners: ((m: Message) => void)[] = [];
  private buffered = '';
  private session = '';
  readonly log: PageLog = { errors: [], requests: [] };

  private constructor(binary: string) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'procns-chromium-'));
    const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--no-default-browser-check',
      '--hide-scrollbars', '--remote-debugging-pipe', `--user-data-dir=${this.dir}`, 'about:blank'];
    this.proc = spawn(binary, args, { stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'] });
    const out = this.proc.stdio[4] as Readable;
    out.setEncoding('utf8');
    out.on('data', (chunk: string) => {
      this.buffered += chunk;
      for (let end = this.buffered.indexOf('\0'); end >= 0; end = this.buffered.indexOf('\0')) {
        const m = JSON.parse(this.buffered.slice(0, end)) as Message;
        this.buffered = this.buffered.slice(end + 1);
        this.dispatch(m);
      }
    });
    this.proc.on('exit', () => {
      for (const w of this.waiting.values()) w.reject(new Error('chromium exited'));
      this.waiting.clear();
    });
  }

  private dispatch(m: Message): void {
    if (m.id !== undefined) {
      const w = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      if (m.error) w?.reject(new Error(m.error.message));
      else w?.resolve(m);
      return;
    }
    const p = m.params ?? {};
    if (m.method === 'Runtime.consoleAPICalled' && (p.type === 'error' || p.type === 'assert')) {
      this.log.errors.push(`console.${String(p.type)}: ${JSON.stringify((p.args as { value?: unknown; description?: string }[]).map((a) => a.value ?? a.description))}`);
    } else if (m.method === 'Runtime.exceptionThrown') {
      const d = p.exceptionDetails as { text: string; exception?: { description?: string } };
      this.log.errors.push(`exception: ${d.exception?.description ?? d.text}`);
    } else if (m.method === 'Log.entryAdded') {
      const e = p.entry as { level: string; text: string; source: string };
      if (e.level === 'error') this.log.errors.push(`${e.source}: ${e.text}`);
    } else if (m.method === 'Network.requestWillBeSent') {
      this.log.requests.push(String((p.request as { url: string }).url));
    }
    for (const l of [...this.listeners]) l(m);
  }

  /** Start Chromium with one page, its console, log and network watched. */
  static async launch(binary: string): Promise<Browser> {
    const b = new Browser(binary);
    const { targetId } = await b.send('Target.createTarget', { url: 'about:blank' }, false);
    const { sessionId } = await b.send('Target.attachToTarget', { targetId, flatten: true }, false);
    b.session = String(sessionId);
    for (const domain of ['Runtime', 'Log', 'Page', 'Network']) await b.send(`${domain}.enable`);
    return b;
  }

  /** A DevTools command (to the page's session unless `page` is false); its result. */
  send(method: string, params: Record<string, unknown> = {}, page = true): Promise<Record<string, unknown>> {
    const id = this.next++;
    const msg: Message = { id, method, params };
    if (page) msg.sessionId = this.session;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve: (m) => resolve(m.result ?? {}), reject });
      (this.proc.stdio[3] as Writable).write(JSON.stringify(msg) + '\0');
    });
  }

  private event(method: string): Promise<Message> {
    return new Promise((resolve) => {
      const l = (m: Message): void => {
        if (m.method !== method) return;
        this.listeners.splice(this.listeners.indexOf(l), 1);
        resolve(m);
      };
      this.listeners.push(l);
    });
  }

  /** Load a file into the page at this viewport size; resolves once its load event fired. */
  async load(file: string, width: number, height: number): Promise<void> {
    await this.send('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: 1, mobile: false });
    const loaded = this.event('Page.loadEventFired');
    await this.send('Page.navigate', { url: `file://${path.resolve(file)}` });
    await loaded;
  }

  /** Evaluate an expression in the page; its value (JSON-able). */
  async evaluate<T>(expression: string): Promise<T> {
    const r = await this.send('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true });
    if (r.exceptionDetails) throw new Error(`evaluate: ${JSON.stringify(r.exceptionDetails)}`);
    return (r.result as { value: T }).value;
  }

  /** A PNG of the whole page (the viewport grown to its content). */
  async screenshot(width: number): Promise<Buffer> {
    const m = await this.send('Page.getLayoutMetrics');
    const size = m.cssContentSize as { width: number; height: number };
    await this.send('Emulation.setDeviceMetricsOverride', { width: Math.max(width, Math.ceil(size.width)), height: Math.ceil(size.height), deviceScaleFactor: 1, mobile: false });
    const shot = await this.send('Page.captureScreenshot', { format: 'png' });
    return Buffer.from(String(shot.data), 'base64');
  }

  /** Close the browser, wait for it to exit (killed after 5 s), and remove its profile. */
  async close(): Promise<void> {
    const exited = new Promise<void>((resolve) => {
      if (this.proc.exitCode !== null || this.proc.signalCode !== null) resolve();
      else this.proc.once('exit', () => resolve());
    });
    this.send('Browser.close', {}, false).catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => { timer = setTimeout(() => resolve('late'), 5000); });
    if (await Promise.race([exited, late]) === 'late') {
      this.proc.kill('SIGKILL');
      await exited;
    }
    clearTimeout(timer);
    fs.rmSync(this.dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  }
}
