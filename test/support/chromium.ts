/**
 * How tests and benchmarks launch the system's Chromium (Debian's package; nothing is downloaded):
 * no sandbox (it runs as root here), and nothing that reaches beyond 127.0.0.1.
 */
export const CHROMIUM_LAUNCH = {
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
};
