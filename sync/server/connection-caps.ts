/**
 * How many sync sockets one account, and one client address (an IPv6 /64: client-address.ts), may
 * hold open on a node. Without a cap one account's script could open sockets until the node ran out
 * of memory or file descriptors; the address cap stops the same from many throwaway accounts. A
 * socket over either is refused at its upgrade (429), before it costs more than the session lookup.
 */
export interface ConnectionCaps {
  perAccount: number;
  perAddress: number;
}

/** An account's 20 devices with room to reconnect; an office or a carrier's NAT behind one address. */
export const DEFAULT_CONNECTION_CAPS: ConnectionCaps = { perAccount: 40, perAddress: 500 };

export class ConnectionCounter {
  private readonly byAccount = new Map<string, number>();
  private readonly byAddress = new Map<string, number>();

  constructor(private readonly caps: ConnectionCaps) {}

  /**
   * Counts a socket of this account from this address, or says which cap it is over (and counts
   * nothing). `release` must be called once when a counted socket closes.
   */
  take(account: string, address: string): { release: () => void } | { over: 'account' | 'address' } {
    if ((this.byAccount.get(account) ?? 0) >= this.caps.perAccount) return { over: 'account' };
    if ((this.byAddress.get(address) ?? 0) >= this.caps.perAddress) return { over: 'address' };
    bump(this.byAccount, account, 1);
    bump(this.byAddress, address, 1);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        bump(this.byAccount, account, -1);
        bump(this.byAddress, address, -1);
      },
    };
  }
}

/** Adds `by` to the key's count, forgetting keys that reach zero so the maps hold only open sockets. */
function bump(counts: Map<string, number>, key: string, by: number): void {
  const next = (counts.get(key) ?? 0) + by;
  if (next <= 0) counts.delete(key);
  else counts.set(key, next);
}
