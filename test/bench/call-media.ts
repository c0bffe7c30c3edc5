/**
 * Calls' media in Chromium (issue 32): "Accept" → connected media between two apps on 127.0.0.1,
 * and what each renderer uses in a 3-person video group call.
 *
 * Set-up, outside every measured window: the app is built as shipped (lib/web-app.ts), a SQLite
 * server runs as in every benchmark (lib/proc.ts), and each person has their own browser host and
 * their own Chromium (test/support/chromium.ts) with the fake camera and microphone switched on, as
 * test/e2e/calls.spec.ts runs them; they sign up and start their conversation through the UI
 * (test/e2e/support/messenger-page.ts).
 *
 * - One to one: Alice clicks "Voice call" (then, in a second series, "Video call"), Bob's "Incoming
 *   call" dialog shows, and Bob clicks "Accept" ("Accept with video"). Timed in Bob's page
 *   (lib/peer-watch.ts): from the click event's timestamp to his peer connection's connectionState
 *   'connected' (ICE and DTLS done), to the first inbound audio packet its getStats() shows (asked
 *   every 10 ms), and for video to the first decoded inbound frame. Alice then hangs up, and the next
 *   call waits until both sides' region "Call" is gone (it shows "Call ended" for a moment).
 *   Baseline, one after each call: two bare RTCPeerConnections in a page of Bob's Chromium, signalled
 *   directly in the page, each sending the fake microphone (and camera), timed the same way from
 *   createOffer: the floor WebRTC itself sets on this machine.
 * - Group: Alice, Bob and Carol (fresh apps, no probe in their pages) in a group; Alice clicks "Video
 *   call", the others "Join call"; once each receives video and sound from both others and 10 s more
 *   have passed, each person's renderer CPU over a 10 s window (SystemInfo.getProcessInfo), its JS
 *   heap (Performance.getMetrics) and RSS (/proc) at the end of it (lib/chromium-usage.ts). Baseline:
 *   the same three apps with the group open and no call, a 10 s window before the call.
 */
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Locator, type Page } from '@playwright/test';
import { MessengerPage } from '../e2e/support/messenger-page.js';
import { chooseChromium, launchOptionsFor, type ChromiumChoice } from '../support/chromium.js';
import { ChromiumUsage, usageBetween, type WindowUsage } from './lib/chromium-usage.js';
import { PEER_PAIR, PEER_WATCH, POLL_MS, type PairTiming, type PageClick, type WatchedPeer } from './lib/peer-watch.js';
import { cpuMsOf, RESULTS_DIR, startServerProcess, tempDir, type ServerProcess, type Spawned } from './lib/proc.js';
import { log, row, runBench, scaled, type Row } from './lib/report.js';
import { round, roundSummary, sleep, summarise, type Summary } from './lib/stats.js';
import { buildWebApp, startBrowserHost, stopHost, type WebBuild } from './lib/web-app.js';

const BENCH = 'call-media';
const FULL_SAMPLES = 30;
const MIN_SAMPLES = 5;
const WARMUP = 2;
const FAKE_MEDIA = ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'];
const STEP_TIMEOUT_MS = 30_000;
/** Three people each sending video to two others on a small machine: media takes its time. */
const GROUP_MEDIA_TIMEOUT_MS = 90_000;
const WINDOW_S = 10;
const WARM_S = 10;
const TARGET = { text: 'p50 < 500 ms', op: '<=', value: 500 } as const;

interface Person {
  name: string;
  username: string;
  browser: Browser;
  page: Page;
  messenger: MessengerPage;
  host: Spawned;
  pageErrors: string[];
}

type Kind = 'voice' | 'video';

/** One call as Bob's page saw it, ms from his click on "Accept". */
interface CallTiming {
  createdMs: number;
  /** His offer set (the answering device offers: renderer/calls/peer-connection.ts). */
  offerMs: number | null;
  /** Alice's answer handed to his connection. */
  answerMs: number | null;
  firstCandidateMs: number | null;
  connectedMs: number;
  firstAudioMs: number;
  firstVideoMs: number | null;
  pair: string | null;
}

interface Series {
  kind: Kind;
  app: {
    created: Summary;
    offer: Summary;
    answer: Summary;
    firstCandidate: Summary;
    connected: Summary;
    firstAudio: Summary;
    firstVideo: Summary | null;
  };
  floor: { connected: Summary; firstAudio: Summary; firstVideo: Summary | null };
  pairs: string[];
  floorPairs: string[];
}

interface PersonUsage {
  name: string;
  idle: WindowUsage & { hostCpuPercent: number | null };
  call: WindowUsage & { hostCpuPercent: number | null; inboundFps: Record<string, number> };
}

runBench(BENCH, async ({ scale }) => {
  const samples = scaled(FULL_SAMPLES, scale, MIN_SAMPLES);
  const choice = await chooseChromium();
  log(BENCH, `Chromium: ${choice.executablePath} (${choice.source})`);
  const work = tempDir(BENCH);
  const people: Person[] = [];
  const servers: ServerProcess[] = [];
  const pageErrors: string[] = [];
  let web: WebBuild | null = null;
  try {
    log(BENCH, 'building the app (production bundles)');
    web = await buildWebApp();

    const oneServer = await startServerProcess(join(work, 'server-one-to-one'));
    servers.push(oneServer);
    const alice = await openPerson(choice, web, oneServer, 'alice', 'Alice Liddell', people, PEER_WATCH);
    const bob = await openPerson(choice, web, oneServer, 'bob', 'Bob Builder', people, PEER_WATCH);
    // They know each other: each starts the conversation, which accepts the other's on their side.
    await bob.messenger.startConversation('alice');
    await alice.messenger.startConversation('bob');
    for (const side of [alice, bob]) await side.messenger.connection.filter({ hasText: 'Online' }).waitFor();
    const floorPage = await openFloorPage(bob.browser);

    const series: Series[] = [];
    for (const kind of ['voice', 'video'] as const) {
      log(BENCH, `${kind} calls: ${WARMUP} warm-up + ${samples}, each followed by a bare peer connection pair`);
      series.push(await measureSeries(alice, bob, floorPage, kind, samples));
    }
    pageErrors.push(...people.flatMap((p) => p.pageErrors.map((e) => `one to one, ${p.name}: ${e}`)));
    await closePeople(people);
    await oneServer.stop();

    log(BENCH, `3-person video group call: ${WINDOW_S} s idle, then ${WINDOW_S} s in the call after ${WARM_S} s of media`);
    const groupServer = await startServerProcess(join(work, 'server-group'));
    servers.push(groupServer);
    const group = await measureGroup(choice, web, groupServer, people);
    pageErrors.push(...people.flatMap((p) => p.pageErrors.map((e) => `group, ${p.name}: ${e}`)));
    await closePeople(people);

    return {
      sizes: { samples, warmup: WARMUP, pollMs: POLL_MS, windowSeconds: WINDOW_S },
      rows: [...series.flatMap(seriesRows), ...group.flatMap(groupRows)],
      details: { series, group, loadAverageAtEnd: loadavg(), pageErrors: pageErrors.slice(0, 20) },
      findings: [...series.map(seriesFinding), ...groupFindings(group), ...errorFindings(pageErrors)],
    };
  } catch (error) {
    const shots = await screenshotAll(people);
    if (shots.length > 0) log(BENCH, `screenshots of the pages: ${shots.join(', ')}`);
    throw error;
  } finally {
    await closePeople(people);
    await Promise.all(servers.map((server) => server.stop()));
    web?.remove();
  }
});

// -- people -------------------------------------------------------------------------------------

/** A person's own browser host and Chromium (fake media), signed up through the UI. */
async function openPerson(
  choice: ChromiumChoice,
  web: WebBuild,
  server: ServerProcess,
  username: string,
  name: string,
  people: Person[],
  initScript?: string,
): Promise<Person> {
  // A folder of its own each time: the group's Alice is not the one-to-one call's.
  const profileDir = tempDir(`${BENCH}-${username}`);
  const host = await startBrowserHost(web, profileDir, server.url);
  const options = launchOptionsFor(choice);
  const browser = await chromium.launch({ ...options, args: [...(options.args ?? []), ...FAKE_MEDIA], headless: true });
  const page = await browser.newPage({ locale: 'en-US', viewport: { width: 1280, height: 800 } });
  const person: Person = {
    name,
    username,
    browser,
    page,
    messenger: new MessengerPage(page),
    host: host.spawned,
    pageErrors: [],
  };
  people.push(person);
  page.on('pageerror', (error) => person.pageErrors.push(error.message));
  if (initScript) await page.addInitScript({ content: initScript });
  await page.goto(host.url);
  await person.messenger.createAccount(username, name);
  return person;
}

async function closePeople(people: Person[]): Promise<void> {
  await Promise.all(
    people.splice(0).map(async (person) => {
      await person.browser.close().catch(() => undefined);
      await stopHost(person.host);
    }),
  );
}

function callOf(person: Person): Locator {
  return person.page.getByRole('region', { name: 'Call', exact: true });
}

function button(person: Person, name: string, within?: Locator): Locator {
  return (within ?? person.page).getByRole('button', { name, exact: true });
}

// -- one to one ---------------------------------------------------------------------------------

/**
 * A page of Bob's Chromium for the bare pair: an origin on 127.0.0.1 (answered by Playwright, no
 * server) because getUserMedia needs a secure context, which about:blank is not.
 */
async function openFloorPage(browser: Browser): Promise<Page> {
  const page = await browser.newPage();
  const url = 'http://127.0.0.1:9/webrtc-floor';
  await page.route(url, (route) =>
    route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>WebRTC floor</title>' }),
  );
  await page.addInitScript({ content: `${PEER_WATCH}\n${PEER_PAIR}` });
  await page.goto(url);
  return page;
}

async function measureSeries(alice: Person, bob: Person, floorPage: Page, kind: Kind, samples: number): Promise<Series> {
  const app: CallTiming[] = [];
  const floor: PairTiming[] = [];
  for (let i = 0; i < WARMUP + samples; i += 1) {
    const call = await callOnce(alice, bob, kind);
    const pair = await floorPage.evaluate<PairTiming>(`window.__benchPair(${kind === 'video'})`);
    if (pair.connectedMs === null || pair.firstAudioMs === null || (kind === 'video' && pair.firstVideoMs === null)) {
      throw new Error(`The bare peer connection pair did not connect with media within 30 s: ${JSON.stringify(pair)}`);
    }
    if (i < WARMUP) continue;
    app.push(call);
    floor.push(pair);
  }
  const summary = (values: number[]) => roundSummary(summarise(values), 1);
  const video = kind === 'video';
  return {
    kind,
    app: {
      created: summary(app.map((c) => c.createdMs)),
      offer: summary(app.map((c) => c.offerMs ?? NaN)),
      answer: summary(app.map((c) => c.answerMs ?? NaN)),
      firstCandidate: summary(app.map((c) => c.firstCandidateMs ?? NaN)),
      connected: summary(app.map((c) => c.connectedMs)),
      firstAudio: summary(app.map((c) => c.firstAudioMs)),
      firstVideo: video ? summary(app.map((c) => c.firstVideoMs ?? NaN)) : null,
    },
    floor: {
      connected: summary(floor.map((p) => p.connectedMs ?? NaN)),
      firstAudio: summary(floor.map((p) => p.firstAudioMs ?? NaN)),
      firstVideo: video ? summary(floor.map((p) => p.firstVideoMs ?? NaN)) : null,
    },
    pairs: [...new Set(app.map((c) => c.pair ?? 'unknown'))],
    floorPairs: [...new Set(floor.map((p) => p.pair ?? 'unknown'))],
  };
}

/** Alice calls, Bob accepts: his page's timings from the click; then Alice hangs up and both calls go. */
async function callOnce(alice: Person, bob: Person, kind: Kind): Promise<CallTiming> {
  const video = kind === 'video';
  for (const side of [alice, bob]) await side.page.evaluate(`window.__benchPeers.wantVideo = ${video}`);
  const from = await bob.page.evaluate<number>('performance.now()');
  await button(alice, video ? 'Video call' : 'Voice call').click({ timeout: STEP_TIMEOUT_MS });
  const incoming = bob.page.getByRole('dialog', { name: 'Incoming call' });
  await button(bob, video ? 'Accept with video' : 'Accept', incoming).click({ timeout: STEP_TIMEOUT_MS });
  const { click, peer } = await mediaAfterClick(bob, from, video);
  await button(alice, 'Hang up', callOf(alice)).click({ timeout: STEP_TIMEOUT_MS });
  for (const side of [alice, bob]) await callOf(side).waitFor({ state: 'detached', timeout: STEP_TIMEOUT_MS });
  const since = (at: number | null) => (at === null ? null : at - click.at);
  return {
    createdMs: peer.createdAt - click.at,
    offerMs: since(peer.localDescriptionAt),
    answerMs: since(peer.remoteDescriptionAt),
    firstCandidateMs: since(peer.firstRemoteCandidateAt),
    connectedMs: peer.connectedAt! - click.at,
    firstAudioMs: peer.firstAudioAt! - click.at,
    firstVideoMs: peer.firstVideoAt === null ? null : peer.firstVideoAt - click.at,
    pair: peer.pair,
  };
}

/**
 * The person's first click since `from` (their page's clock) and the peer connection made after it,
 * once it is connected with media. Bob clicks nothing else meanwhile, so that click is Accept's.
 * Read by polling with evaluate: waitForFunction would eval the predicate in the page, which the
 * app's CSP forbids.
 */
async function mediaAfterClick(person: Person, from: number, video: boolean): Promise<{ click: PageClick; peer: WatchedPeer }> {
  const probe = `(() => {
    const state = window.__benchPeers;
    const click = state.clicks.find((c) => c.at >= ${from});
    const peer = click && state.records.find((r) => r.createdAt >= click.at);
    const arrived = peer && peer.connectedAt !== null && peer.firstAudioAt !== null && (${!video} || peer.firstVideoAt !== null);
    return arrived ? { click, peer } : null;
  })()`;
  const started = performance.now();
  for (;;) {
    const seen = await person.page.evaluate<{ click: PageClick; peer: WatchedPeer } | null>(probe);
    if (seen) return seen;
    if (performance.now() - started > STEP_TIMEOUT_MS) {
      const state = await person.page.evaluate<unknown>('window.__benchPeers');
      throw new Error(
        `${person.name}'s call did not connect with media within ${STEP_TIMEOUT_MS / 1000} s: ${JSON.stringify(state)}`,
      );
    }
    await sleep(50);
  }
}

function seriesRows(s: Series): Row[] {
  const call = s.kind === 'video' ? 'video call (Accept with video)' : 'voice call (Accept)';
  const figures: Array<[string, string, Summary, Summary]> = [
    ['connected', 'connected (ICE + DTLS)', s.app.connected, s.floor.connected],
    ['audio', 'first audio packet in', s.app.firstAudio, s.floor.firstAudio],
  ];
  if (s.app.firstVideo && s.floor.firstVideo) {
    figures.push(['video', 'first video frame decoded', s.app.firstVideo, s.floor.firstVideo]);
  }
  return figures.flatMap(([key, what, app, floor]) =>
    (['p50', 'p99'] as const).map((p) =>
      row({
        key: `call-media.${s.kind}.${key}.${p}`,
        name: `Accept → ${what}, ${call}, ${p}`,
        value: app[p],
        unit: 'ms',
        baseline: { name: `bare RTCPeerConnection pair, createOffer → ${what} ${p}`, value: floor[p], unit: 'ms' },
        ratio: floor[p] > 0 ? round(app[p] / floor[p], 2) : 0,
        ...(p === 'p50' ? { target: TARGET } : {}),
        note: `${app.n} calls in Bob's page; his peer connection was made ${s.app.created[p]} ms after the click`,
      }),
    ),
  );
}

function seriesFinding(s: Series): string {
  const { app, floor } = s;
  const video =
    app.firstVideo && floor.firstVideo ? `, first video frame ${app.firstVideo.p50} (floor ${floor.firstVideo.p50})` : '';
  return (
    `${s.kind === 'video' ? 'Video' : 'Voice'} calls, p50 of ${app.connected.n}: Accept → connected ${app.connected.p50} ms, ` +
    `first audio packet ${app.firstAudio.p50}${video} (p99 ${app.connected.p99} / ${app.firstAudio.p99}); ` +
    `the bare pair in one page: ${floor.connected.p50} / ${floor.firstAudio.p50} ms. In Bob's page (p50, ms from the click): ` +
    `his peer connection made ${app.created.p50} (the accept through his core, the microphone${s.kind === 'video' ? ' and camera' : ''} ` +
    `opened), his offer set ${app.offer.p50}, Alice's answer in ${app.answer.p50} (through both cores, the server and her page), ` +
    `her first candidate in ${app.firstCandidate.p50}, connected ${app.connected.p50}. Connected on ${s.pairs.join('; ')} ` +
    `(the bare pair on ${s.floorPairs.join('; ')}).`
  );
}

// -- group ----------------------------------------------------------------------------------------

async function measureGroup(
  choice: ChromiumChoice,
  web: WebBuild,
  server: ServerProcess,
  people: Person[],
): Promise<PersonUsage[]> {
  const alice = await openPerson(choice, web, server, 'alice', 'Alice Liddell', people);
  const bob = await openPerson(choice, web, server, 'bob', 'Bob Builder', people);
  const carol = await openPerson(choice, web, server, 'carol', 'Carol Chen', people);
  const everyone = [alice, bob, carol];
  // Alice has talked to both, and they accepted her: her group is no request to them.
  await alice.messenger.startConversation('bob');
  await alice.messenger.startConversation('carol');
  await bob.messenger.acceptRequestFrom('Alice Liddell');
  await carol.messenger.acceptRequestFrom('Alice Liddell');
  await alice.messenger.createGroup('Trip', ['bob', 'carol']);
  await alice.messenger.openConversationWith('Trip');
  for (const side of [bob, carol]) {
    await side.messenger.conversationWith('Trip').waitFor({ timeout: STEP_TIMEOUT_MS });
    await side.messenger.openConversationWith('Trip');
  }
  for (const side of everyone) await side.messenger.connection.filter({ hasText: 'Online' }).waitFor();
  const usages = await Promise.all(everyone.map((p) => ChromiumUsage.of(p.browser, p.page)));
  // What opening the apps started (the core's first sync, the list's first paint) settles first.
  await sleep(5_000);
  const idle = await measureWindow(everyone, usages);

  await button(alice, 'Video call').click({ timeout: STEP_TIMEOUT_MS });
  await callOf(alice).waitFor({ timeout: STEP_TIMEOUT_MS });
  for (const side of [bob, carol]) {
    const join = button(side, 'Join call');
    try {
      await join.click({ timeout: STEP_TIMEOUT_MS });
    } catch (error) {
      throw new Error(`${side.name} found no "Join call" in the group within ${STEP_TIMEOUT_MS / 1000} s`, { cause: error });
    }
    await callOf(side).waitFor({ timeout: STEP_TIMEOUT_MS });
  }
  for (const side of everyone) {
    for (const other of everyone.filter((p) => p !== side)) await mediaArrives(side, other.name);
  }
  await sleep(WARM_S * 1000);
  const framesBefore = await Promise.all(everyone.map((side) => framesFrom(side, everyone)));
  const inCall = await measureWindow(everyone, usages);
  const framesAfter = await Promise.all(everyone.map((side) => framesFrom(side, everyone)));
  for (const side of everyone) await button(side, 'Hang up', callOf(side)).click({ timeout: STEP_TIMEOUT_MS });

  return everyone.map((person, i) => {
    const inboundFps: Record<string, number> = {};
    for (const [name, frames] of Object.entries(framesAfter[i]!)) {
      inboundFps[name] = round((frames - (framesBefore[i]![name] ?? 0)) / inCall[i]!.seconds, 1);
    }
    return { name: person.name, idle: idle[i]!, call: { ...inCall[i]!, inboundFps } };
  });
}

/** The tile of `name` in `side`'s call shows video, and its stats say frames and sound arrive. */
async function mediaArrives(side: Person, name: string): Promise<void> {
  const tile = callOf(side).getByRole('listitem', { name, exact: true });
  await tile.getByLabel(`Video from ${name}`).waitFor({ timeout: GROUP_MEDIA_TIMEOUT_MS });
  const started = performance.now();
  for (;;) {
    const stats = await tileStats(tile);
    if (stats && stats.inboundVideoFramesDecoded > 0 && stats.inboundAudioBytes > 0) return;
    if (performance.now() - started > GROUP_MEDIA_TIMEOUT_MS) {
      throw new Error(`${side.name} receives no video and sound from ${name}: ${JSON.stringify(stats)}`);
    }
    await sleep(250);
  }
}

async function tileStats(tile: Locator): Promise<{ inboundVideoFramesDecoded: number; inboundAudioBytes: number } | null> {
  const text = await tile.getAttribute('data-call-stats');
  return text ? (JSON.parse(text) as { inboundVideoFramesDecoded: number; inboundAudioBytes: number }) : null;
}

/** Video frames decoded so far from each other person, as `side`'s tiles publish them (refreshed every second). */
async function framesFrom(side: Person, everyone: Person[]): Promise<Record<string, number>> {
  const frames: Record<string, number> = {};
  for (const other of everyone.filter((p) => p !== side)) {
    const stats = await tileStats(callOf(side).getByRole('listitem', { name: other.name, exact: true }));
    frames[other.name] = stats?.inboundVideoFramesDecoded ?? 0;
  }
  return frames;
}

/** One window of WINDOW_S seconds, the same for everyone: each Chromium's processes and each browser host. */
async function measureWindow(
  everyone: Person[],
  usages: ChromiumUsage[],
): Promise<Array<WindowUsage & { hostCpuPercent: number | null }>> {
  const before = await Promise.all(usages.map((u) => u.processes()));
  const hostsBefore = everyone.map((p) => cpuMsOf(p.host.pid));
  const started = performance.now();
  await sleep(WINDOW_S * 1000);
  const after = await Promise.all(usages.map((u) => u.processes()));
  const hostsAfter = everyone.map((p) => cpuMsOf(p.host.pid));
  const seconds = (performance.now() - started) / 1000;
  return Promise.all(
    usages.map(async (usage, i) => {
      const host0 = hostsBefore[i];
      const host1 = hostsAfter[i];
      const hostCpuPercent = host0 == null || host1 == null ? null : round(((host1 - host0) / 1000 / seconds) * 100, 1);
      return { ...(await usageBetween(usage, before[i]!, after[i]!, seconds)), hostCpuPercent };
    }),
  );
}

function groupRows(p: PersonUsage): Row[] {
  const key = `call-media.group.${p.name.split(' ')[0]!.toLowerCase()}`;
  const idle = 'idle: the group open, no call, same apps';
  // No ratio for CPU: an idle renderer's is near 0, so the ratio says nothing.
  const rowOf = (figure: string, what: string, unit: string, value: number | null, baseline: number | null, note: string) =>
    row({
      key: `${key}.${figure}`,
      name: `3-person video group call: ${p.name}'s renderer ${what}`,
      value,
      unit,
      ...(baseline === null ? {} : { baseline: { name: idle, value: baseline, unit } }),
      ...(figure !== 'cpu' && value !== null && baseline !== null && baseline > 0 ? { ratio: round(value / baseline, 2) } : {}),
      note: `reported (no target); ${note}`,
    });
  return [
    rowOf(
      'cpu',
      `CPU, ${WINDOW_S} s window`,
      '% of a core',
      p.call.renderer.cpuPercent,
      p.idle.renderer.cpuPercent,
      `all of this Chromium ${p.call.allCpuPercent}% (idle ${p.idle.allCpuPercent}%), its browser host ${p.call.hostCpuPercent ?? 'n/a'}%`,
    ),
    rowOf(
      'heap',
      'JS heap used',
      'MiB',
      p.call.jsHeapUsedMiB,
      p.idle.jsHeapUsedMiB,
      `after a full collection at the window's end; heap allocated ${p.call.jsHeapTotalMiB} MiB`,
    ),
    rowOf(
      'rss',
      'RSS',
      'MiB',
      p.call.renderer.rssMiB,
      p.idle.renderer.rssMiB,
      "at the window's end, after that collection (/proc, Linux)",
    ),
  ];
}

function groupFindings(group: PersonUsage[]): string[] {
  return [
    ...group.map(
      (p) =>
        `${p.name} in the 3-person video call: renderer ${p.call.renderer.cpuPercent}% of a core (idle ${p.idle.renderer.cpuPercent}%), ` +
        `JS heap ${p.call.jsHeapUsedMiB} MiB (idle ${p.idle.jsHeapUsedMiB}), RSS ${p.call.renderer.rssMiB ?? 'n/a'} MiB ` +
        `(idle ${p.idle.renderer.rssMiB ?? 'n/a'}); all of this Chromium ${p.call.allCpuPercent}% ` +
        `(${Object.entries(p.call.byType)
          .map(([type, cpu]) => `${type} ${cpu}`)
          .join(', ')}); browser host (core) ${p.call.hostCpuPercent ?? 'n/a'}%; video in at ` +
        `${Object.entries(p.call.inboundFps)
          .map(([name, fps]) => `${fps} fps from ${name}`)
          .join(', ')}.`,
    ),
    `Three Chromiums, three browser hosts and the server share this machine's cores (load average now ${loadavg()
      .map((x) => x.toFixed(2))
      .join(
        ' ',
      )}): each figure includes waiting for a CPU, and the fake camera's frames are encoded twice and decoded twice per person.`,
  ];
}

function errorFindings(errors: string[]): string[] {
  return errors.length > 0 ? [`The pages reported ${errors.length} error(s), first: ${errors[0]}`] : [];
}

/** Each open page as it was when the benchmark failed, for finding why (results/ is gitignored). */
async function screenshotAll(people: Person[]): Promise<string[]> {
  const files: string[] = [];
  for (const person of people) {
    const file = join(RESULTS_DIR, `call-media-failure-${person.username}.png`);
    if (
      await person.page.screenshot({ path: file }).then(
        () => true,
        () => false,
      )
    )
      files.push(file);
  }
  return files;
}
