/**
 * What one Chromium's processes use, read through the DevTools protocol (call-media.ts): CPU time
 * per process from SystemInfo.getProcessInfo on the browser's session (pid, type, seconds), the
 * page's JS heap after a collection from Performance.getMetrics on the page's session, and the
 * renderer's RSS from /proc
 * (Linux; null elsewhere). One Chromium per person, so its renderer is the one its page runs in.
 */
import type { Browser, CDPSession, Page } from '@playwright/test';
import { memoryOf } from './proc.js';
import { round } from './stats.js';

export interface ChromiumProcess {
  type: string;
  pid: number;
  cpuSeconds: number;
}

export class ChromiumUsage {
  readonly #browserSession: CDPSession;
  readonly #pageSession: CDPSession;

  private constructor(browserSession: CDPSession, pageSession: CDPSession) {
    this.#browserSession = browserSession;
    this.#pageSession = pageSession;
  }

  static async of(browser: Browser, page: Page): Promise<ChromiumUsage> {
    const pageSession = await page.context().newCDPSession(page);
    await pageSession.send('Performance.enable');
    return new ChromiumUsage(await browser.newBrowserCDPSession(), pageSession);
  }

  async processes(): Promise<ChromiumProcess[]> {
    // Not in Playwright's protocol types (the method is experimental), hence the cast.
    const answer = (await this.#browserSession.send('SystemInfo.getProcessInfo' as 'Performance.enable')) as unknown as {
      processInfo: Array<{ type: string; id: number; cpuTime: number }>;
    };
    return answer.processInfo.map((p) => ({ type: p.type, pid: p.id, cpuSeconds: p.cpuTime }));
  }

  /**
   * The page's JS heap in use and allocated, bytes, right after a full collection: what the page
   * holds, not how much garbage happens to wait at that moment.
   */
  async jsHeap(): Promise<{ used: number; total: number }> {
    await this.#pageSession.send('HeapProfiler.collectGarbage');
    const { metrics } = await this.#pageSession.send('Performance.getMetrics');
    const metric = (name: string) => metrics.find((m) => m.name === name)?.value ?? NaN;
    return { used: metric('JSHeapUsedSize'), total: metric('JSHeapTotalSize') };
  }
}

export interface WindowUsage {
  seconds: number;
  /** The page's renderer: the renderer process that used the most CPU in the window. */
  renderer: { pid: number; cpuPercent: number; rssMiB: number | null; renderers: number };
  /** Every process of this Chromium (browser, GPU, network, audio and video capture services, renderers). */
  allCpuPercent: number;
  byType: Record<string, number>;
  jsHeapUsedMiB: number;
  jsHeapTotalMiB: number;
}

/** CPU in % of one core between two readings of the same Chromium, and its memory after the second. */
export async function usageBetween(
  usage: ChromiumUsage,
  before: ChromiumProcess[],
  after: ChromiumProcess[],
  seconds: number,
): Promise<WindowUsage> {
  const percentOf = (p: ChromiumProcess) => {
    const earlier = before.find((b) => b.pid === p.pid)?.cpuSeconds ?? 0;
    return ((p.cpuSeconds - earlier) / seconds) * 100;
  };
  const renderers = after.filter((p) => p.type === 'renderer');
  const renderer = renderers.reduce<ChromiumProcess | null>(
    (best, p) => (!best || percentOf(p) > percentOf(best) ? p : best),
    null,
  );
  if (!renderer) throw new Error('This Chromium has no renderer process');
  const byType: Record<string, number> = {};
  for (const p of after) byType[p.type] = (byType[p.type] ?? 0) + percentOf(p);
  for (const type of Object.keys(byType)) byType[type] = round(byType[type]!, 1);
  const heap = await usage.jsHeap();
  const rss = memoryOf(renderer.pid);
  return {
    seconds,
    renderer: {
      pid: renderer.pid,
      cpuPercent: round(percentOf(renderer), 1),
      rssMiB: rss ? round(rss.rssMiB, 1) : null,
      renderers: renderers.length,
    },
    allCpuPercent: round(
      after.reduce((sum, p) => sum + percentOf(p), 0),
      1,
    ),
    byType,
    jsHeapUsedMiB: round(heap.used / 2 ** 20, 1),
    jsHeapTotalMiB: round(heap.total / 2 ** 20, 1),
  };
}
