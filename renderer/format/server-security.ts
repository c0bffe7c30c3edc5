/**
 * Whether a server address the person typed would carry their password and messages unencrypted
 * to another machine: ws:// or http:// to anything but this computer (localhost, 127.0.0.0/8,
 * ::1). False for addresses that do not parse (the form says what is wrong with those).
 */
export function unencryptedRemoteServer(address: string): boolean {
  let url: URL;
  try {
    url = new URL(address.trim());
  } catch {
    return false;
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'http:') return false;
  const host = url.hostname.toLowerCase();
  const loopback = host === 'localhost' || host.endsWith('.localhost') || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
  return !loopback;
}
