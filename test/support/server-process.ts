/**
 * The real sync server CLI (sync/server/cli.ts, same arguments, same output), plus one thing for
 * tests that SIGKILL it: it exits when its stdin closes, so a test process that dies without
 * cleaning up never leaves a server behind. It runs in this same process, so a SIGKILL sent to this
 * pid kills the server itself, mid-write if need be.
 *
 *   node --import tsx test/support/server-process.ts --port <n> --data <dir>
 */
import '../../sync/server/cli.js';

process.stdin.on('end', () => process.exit(3));
process.stdin.on('error', () => process.exit(3));
process.stdin.resume();
