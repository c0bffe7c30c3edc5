/**
 * The client core's part of the app API about the account's identity: its recovery key
 * (app-api/account-keys-api.ts), linking devices (linking-api.ts), safety numbers
 * (safety-number-api.ts) and restoring from the key backup (key-backup-api.ts). The core spreads
 * it in (client-core.ts: apiParts).
 */
import { AppApiError, type AppApi } from '../../app-api/contract.js';
import type { accountKeysApiArgs } from '../../app-api/account-keys-api.js';
import type { keyBackupApiArgs } from '../../app-api/key-backup-api.js';
import type { linkingApiArgs } from '../../app-api/linking-api.js';
import type { safetyNumberApiArgs } from '../../app-api/safety-number-api.js';
import type { Clock } from '../../common/runtime.js';
import type { AccountKeyring } from '../crypto/account-keyring.js';
import type { DeviceLinking } from '../crypto/device-linking.js';
import { restoreFromRecoveryKey } from '../key-backup-restore.js';
import type { Mirror } from '../mirror/mirror.js';
import { SafetyNumbers } from '../safety-numbers.js';
import type { SyncEngine } from '../sync-engine.js';

export type IdentityApi = Pick<
  AppApi,
  keyof typeof accountKeysApiArgs | keyof typeof linkingApiArgs | keyof typeof safetyNumberApiArgs | keyof typeof keyBackupApiArgs
>;

export interface IdentityApiSource {
  mirror: Mirror;
  keyring: AccountKeyring;
  clock: Clock;
  /** The signed-in account's id; refuses with not_signed_in while signed out. */
  selfId(): string;
  /** The session's engine and its linking, while signed in. */
  engine(): SyncEngine | null;
  linking(): DeviceLinking | null;
  /** The identity came back from the recovery key: a fresh connection takes it up from the start. */
  restored(): void;
}

export function identityApi(source: IdentityApiSource): IdentityApi {
  const { mirror, keyring, clock } = source;
  const linkingParts = () => {
    const linking = source.linking();
    const engine = source.engine();
    if (!linking || !engine) throw new AppApiError('not_signed_in', 'Log in first.');
    return { linking, engine };
  };
  const safetyNumbers = () => new SafetyNumbers({ mirror, selfId: source.selfId(), clock, keyring, engine: source.engine() });
  return {
    getUnsavedRecoveryKey: async () => keyring.unsavedRecoveryKey(source.selfId()),
    confirmRecoveryKeySaved: async () => {
      await keyring.confirmSaved(source.selfId());
      return null;
    },
    revealRecoveryKey: async ({ password }) => keyring.reveal(source.selfId(), password),

    getLinkState: async () => source.linking()?.state ?? { kind: 'unknown' },
    describeLinkCode: async ({ code }) => {
      const { linking, engine } = linkingParts();
      return linking.describe(code, engine.request);
    },
    linkDevice: async ({ code }) => {
      const { linking, engine } = linkingParts();
      await linking.handOver(code, engine.request);
      return null;
    },
    startNewIdentity: async () => linkingParts().linking.startNewIdentity(),
    retryHistoryTransfer: async () => {
      linkingParts().linking.retryHistory();
      return null;
    },

    getSafetyNumber: async ({ userId }) => safetyNumbers().get(userId),
    setIdentityVerified: async ({ userId, identityKey, verified }) => safetyNumbers().setVerified(userId, identityKey, verified),
    getIdentityChanges: async ({ conversationId }) => safetyNumbers().changesIn(conversationId),
    confirmIdentityChanges: async ({ conversationId }) => safetyNumbers().confirmChangesIn(conversationId),

    restoreFromRecoveryKey: async ({ recoveryKey }) => {
      const outcome = await restoreFromRecoveryKey(source.engine(), keyring, source.selfId(), recoveryKey);
      if (outcome === 'restored') source.restored();
      return outcome;
    },
  };
}
