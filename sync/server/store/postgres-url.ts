/** A PostgreSQL URL as logs and error messages may show it: host:port/database, never the user's password. */
export function describePostgresUrl(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || 5432}${parsed.pathname}`;
}
