/** The names a loopback server is reached by; any others in Host are a rebinding attempt. */
const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

/**
 * Whether a request's Host header names this server: a loopback name or one the operator
 * allowed (HOST, ALLOWED_HOSTS), with any port. Compared case-insensitively, as DNS does.
 */
export function hostAllowed(host: string | undefined, extra: readonly string[]): boolean {
  if (!host) return false;
  const name = host.toLowerCase().replace(/:\d+$/, '');
  return LOOPBACK_NAMES.includes(name) || extra.some((allowed) => normalise(allowed) === name);
}

/** "::1" and "[::1]" name the same host; Host carries IPv6 addresses in brackets. */
function normalise(name: string): string {
  const lower = name.trim().toLowerCase();
  return lower.includes(':') && !lower.startsWith('[') ? `[${lower}]` : lower;
}
