/**
 * A web origin as browsers send it in `Origin`: scheme, host and port, nothing else. HTTPS only,
 * except for the loopback addresses developers test on. Normalised (lower case, no default port),
 * which is how browsers send it. Used for partners' web origins and the gateway's CORS_ORIGINS.
 */
export function checkWebOrigin(raw: string): { origin: string } | { problem: string } {
  if (raw.length > 200) return { problem: 'is longer than 200 characters' };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { problem: 'is not an origin like https://shop.example.com' };
  }
  if (url.username || url.password || url.pathname !== '/' || url.search || url.hash)
    return { problem: 'must be scheme, host and port only, with no path, query or credentials' };
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback))
    return { problem: 'must use https (http only for localhost)' };
  if (url.hostname.includes('*')) return { problem: 'cannot be a wildcard: list each origin' };
  return { origin: url.origin };
}
