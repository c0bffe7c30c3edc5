/**
 * The tile server the page's policy allows (Settings → "Maps"), read from the core each time the
 * page's own files are served, so a window loaded (or reloaded) after a change allows the new one.
 */
import type { AppTransport } from '../../sync/app-api/client.js';
import { preferencesSchema } from '../../sync/app-api/preferences.js';

/** The preference as the core holds it now; none when the core cannot say (a policy without a tile server is safe). */
export async function currentMapTileUrl(core: Pick<AppTransport, 'invoke'> | null): Promise<string | null> {
  if (!core) return null;
  try {
    const answer = await core.invoke('getPreferences', {});
    if (!answer.ok) return null;
    const parsed = preferencesSchema.shape.mapTileUrl.safeParse((answer.result as { mapTileUrl?: unknown } | null)?.mapTileUrl);
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
