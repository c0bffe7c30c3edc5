/**
 * The Chromium a page of the browser host runs in (the host cannot know: it is whichever browser
 * opened it). From User-Agent Client Hints when the browser has them (the full version, or the
 * major one), else from the User-Agent string; null in a browser that is not Chromium-based.
 */

interface BrandVersion {
  brand: string;
  version: string;
}

/** The parts of NavigatorUAData this reads (not in every TypeScript DOM library yet). */
interface UserAgentData {
  brands: BrandVersion[];
  getHighEntropyValues?(hints: string[]): Promise<{ fullVersionList?: BrandVersion[] }>;
}

export type NavigatorLike = Pick<Navigator, 'userAgent'> & { userAgentData?: UserAgentData };

const chromium = (brands: readonly BrandVersion[] | undefined) => brands?.find((entry) => entry.brand === 'Chromium')?.version;

export async function browserChromiumVersion(nav: NavigatorLike = navigator): Promise<string | null> {
  const data = nav.userAgentData;
  if (data) {
    try {
      const full = chromium((await data.getHighEntropyValues?.(['fullVersionList']))?.fullVersionList);
      if (full) return full;
    } catch {
      // The browser declined the hint: the low-entropy brands below still say the major version.
    }
    const major = chromium(data.brands);
    if (major) return major;
  }
  return /(?:Chromium|Chrome)\/(\d+(?:\.\d+)*)/.exec(nav.userAgent)?.[1] ?? null;
}
