/**
 * Locations between real client cores and a real server (issue 33): a point and its place name are
 * sealed content; one sent offline goes when the device is back; the conversation list says what
 * it is; its name is not edited.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createServerHarness } from '../../support/server-harness.js';
import { createClientHarness, eventually, type TestCore } from '../../support/client-harness.js';
import { offline, online, person, twoTalking } from '../../support/people.js';
import { AppApiError } from '../../../sync/app-api/contract.js';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';

const servers = createServerHarness();
const clients = createClientHarness();
const tileServers: Server[] = [];
afterEach(async () => {
  await Promise.all(tileServers.splice(0).map((tiles) => new Promise((resolve) => tiles.close(resolve))));
  await clients.cleanup();
  await servers.cleanup();
});

async function shown(core: TestCore, conversationId: string, messageId: string) {
  const message = (await core.listMessages({ conversationId })).messages.find((m) => m.id === messageId);
  return message && { text: message.text, location: message.location };
}

/** A tile server on this machine answering every tile with one plain 256-pixel PNG; counts what it is asked. */
async function tileServer(): Promise<{ template: string; asked: string[] }> {
  const tile = await sharp({ create: { width: 256, height: 256, channels: 3, background: '#9cf' } })
    .png()
    .toBuffer();
  const asked: string[] = [];
  const tiles = createServer((request, response) => {
    asked.push(request.url ?? '');
    response.writeHead(200, { 'content-type': 'image/png', 'content-length': tile.length }).end(tile);
  });
  tileServers.push(tiles);
  await new Promise<void>((resolve) => tiles.listen(0, '127.0.0.1', resolve));
  return { template: `http://127.0.0.1:${(tiles.address() as AddressInfo).port}/{z}/{x}/{y}.png`, asked };
}

describe('locations', () => {
  it('a map snapshot made from the tile server set here goes sealed as the location’s one image', async () => {
    const { alice, bob, conversationId } = await twoTalking(servers, clients);
    const point = { lat: 59.906012, lon: 10.741454 };
    await expect(alice.core.makeMapSnapshot(point)).rejects.toMatchObject({ code: 'refused', message: 'map_not_configured' });
    const tiles = await tileServer();
    await alice.core.setPreferences({ mapTileUrl: tiles.template });
    const snapshot = await alice.core.makeMapSnapshot(point);
    expect(tiles.asked.length).toBeGreaterThanOrEqual(4);
    expect(tiles.asked.every((path) => path.startsWith('/15/'))).toBe(true);
    const sent = await alice.core.sendLocation({ conversationId, ...point, name: 'Harbour', snapshot });
    expect(sent.attachments).toMatchObject([{ kind: 'image', mime: 'image/png', width: 600, height: 300 }]);
    await eventually(
      async () => (await bob.core.listMessages({ conversationId })).messages.find((m) => m.id === sent.id),
      (message) => message?.location?.lat === point.lat && message.attachments[0]?.kind === 'image',
      'bob sees the location with its map',
    );
  });

  it('a point typed offline, rounded to 6 decimals, reaches the other side with its place name', async () => {
    const { alice, bob, conversationId } = await twoTalking(servers, clients);
    await alice.core.setPreferences({ workOffline: true });
    await offline(alice.core);
    const sent = await alice.core.sendLocation({ conversationId, lat: 59.90601234, lon: 10.7414536, name: ' Harbour ' });
    const expected = { text: 'Harbour', location: { lat: 59.906012, lon: 10.741454, live: null } };
    expect(sent).toMatchObject({ ...expected, status: 'sending' });

    await alice.core.setPreferences({ workOffline: false });
    await online(alice.core);
    await eventually(
      () => shown(bob.core, conversationId, sent.id),
      (message) => JSON.stringify(message) === JSON.stringify(expected),
      'bob sees the location',
    );
    const summary = (await bob.core.listConversations()).find((conversation) => conversation.id === conversationId);
    expect(summary?.lastMessage).toMatchObject({ text: 'Harbour', location: true });

    // The place name says where the point is: it is not edited.
    const edit = alice.core.editMessage({ conversationId, messageId: sent.id, text: 'Elsewhere' });
    await expect(edit).rejects.toThrow(AppApiError);
  });

  it('a live location says until when it moves; only its author stops it, and then it takes no more moves', async () => {
    const { alice, bob, conversationId } = await twoTalking(servers, clients);
    const sent = await alice.core.sendLocation({ conversationId, lat: 51.5, lon: -0.12, name: '', liveForMs: 900_000 });
    const until = sent.location?.live?.until;
    expect(until).toBeGreaterThan(sent.at);
    await eventually(
      () => shown(bob.core, conversationId, sent.id),
      (message) => message?.location?.live?.until === until && message?.location?.live?.stopped === false,
      'bob sees the live location',
    );
    const ids = { conversationId, messageId: sent.id };
    await expect(bob.core.stopLiveLocation(ids)).rejects.toMatchObject({ code: 'refused' });
    await expect(bob.core.reportLiveLocation({ ...ids, lat: 1, lon: 1 })).rejects.toMatchObject({ code: 'refused' });

    await alice.core.stopLiveLocation(ids);
    await eventually(
      () => shown(bob.core, conversationId, sent.id),
      (message) => message?.location?.live?.stopped === true,
      'bob sees it stopped',
    );
    await expect(alice.core.reportLiveLocation({ ...ids, lat: 51.6, lon: -0.12 })).rejects.toMatchObject({ code: 'refused' });
    expect((await shown(bob.core, conversationId, sent.id))?.location).toMatchObject({ lat: 51.5, lon: -0.12 });
  });
  it('a live location is shared on after the app restarts, by the device that sent it only, until stopped anywhere', async () => {
    const { server, alice, bob, conversationId } = await twoTalking(servers, clients);
    const laptop = await person(clients, server, 'alice', { existing: true, linkedFrom: alice.core });
    const sent = await alice.core.sendLocation({ conversationId, lat: 51.5, lon: -0.12, name: '', liveForMs: 900_000 });
    const until = sent.location!.live!.until;
    const ids = { conversationId, messageId: sent.id };
    await eventually(
      () => shown(laptop.core, conversationId, sent.id),
      (message) => message?.location?.live?.until === until,
      'alice’s laptop shows the live location',
    );
    expect(await laptop.core.liveLocationsSharedHere({})).toEqual([]);

    await alice.core.close();
    const restarted = await clients.open(alice.core.profileDir, server.url);
    expect(await restarted.liveLocationsSharedHere({})).toEqual([{ ...ids, until }]);
    await online(restarted);
    await restarted.reportLiveLocation({ ...ids, lat: 51.51, lon: -0.13 });
    await eventually(
      () => shown(bob.core, conversationId, sent.id),
      (message) => message?.location?.lat === 51.51 && message.location.lon === -0.13,
      'bob sees the move sent after the restart',
    );

    // Stopped on the laptop: the phone no longer shares it, and forgets it.
    await laptop.core.stopLiveLocation(ids);
    await eventually(
      () => restarted.liveLocationsSharedHere({}),
      (shared) => shared.length === 0,
      'the phone learns it was stopped',
    );
  });
});
