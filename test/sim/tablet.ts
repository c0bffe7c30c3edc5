import type { SyncService } from '../../sync/server/sync-service.js';
import { MemoryServerSocket } from './memory-server-socket.js';
import type { SeededRandom } from './random.js';
import { settleMicrotasks } from './scheduler.js';
import type { SimUser } from './people.js';

/**
 * A device outside the simulation (the person's tablet, say) that sends `count` messages of
 * `chars` characters in one burst, straight to the server: enough, when large, to make whoever
 * was away catch up over several pages (LIMITS.maxCatchUpPage events or maxCatchUpBytes bytes).
 * Its replies go nowhere (nobody in the simulation waits for them); its pushes reach the others.
 */
export async function floodFromTablet(
  service: SyncService,
  user: SimUser,
  conversationId: string,
  burst: { count: number; chars: number },
  random: SeededRandom,
): Promise<void> {
  const tablet = new MemoryServerSocket(
    () => undefined,
    () => undefined,
  );
  const session = await service.authenticate(user.token);
  if (!session) throw new Error(`${user.username}'s session does not open`);
  service.attach(tablet, session);
  for (let i = 1; i <= burst.count; i++) {
    const text = `${user.username}'s tablet ${i} `.padEnd(burst.chars, '.');
    tablet.deliver(JSON.stringify({ type: 'send', rid: `t${i}`, conversationId, clientMessageId: random.uuid(), text }));
  }
  // The server handles them in order without waiting on anything but itself.
  await settleMicrotasks();
  tablet.lost();
  await settleMicrotasks();
}
