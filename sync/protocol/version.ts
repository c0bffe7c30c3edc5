/**
 * The sync protocol's version, named as the WebSocket subprotocol: the client offers it, and the
 * server chooses it and says so in the upgrade's PROTOCOL_HEADER as well (a `ws` server that knows
 * nothing of versions chooses whatever is offered first, so the subprotocol alone proves nothing).
 * A server refuses a socket that does not offer it (426 Upgrade Required: the app is older than
 * the server), and a client gives up on a socket whose upgrade does not name it (the server is
 * older than the app); each side tells its person or operator which one to update.
 *
 * It moves whenever a change would make one side misread the other. This is the first version
 * named: clients from before end-to-end encryption offer none, so a server of this version never
 * serves them the plaintext protocol, and a client of this version never speaks it.
 */
export const SYNC_PROTOCOL = 'messenger.e2ee.1';

/** The upgrade response's header that names the version the server speaks. */
export const PROTOCOL_HEADER = 'Messenger-Protocol';

/** The status a server answers an upgrade that does not offer SYNC_PROTOCOL with. */
export const UPGRADE_REQUIRED_STATUS = 426;

/** Whether a Sec-WebSocket-Protocol header (a comma-separated list) offers this version. */
export function offersSyncProtocol(header: string | undefined): boolean {
  return (header ?? '').split(',').some((offered) => offered.trim() === SYNC_PROTOCOL);
}
