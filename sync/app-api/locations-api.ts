/**
 * The app API's calls about locations (issue 33): a location is a message whose text is the place
 * name and whose point rides beside it (common/locations.ts). Declared here and spread into
 * contract.ts, as polls-api.ts is.
 *
 * Pure: the renderer imports it.
 */
import { z } from 'zod';
import { LIMITS } from '../protocol/limits.js';
import { latitudeInput, longitudeInput, placeName } from '../common/locations.js';

const id = z.string().min(1).max(LIMITS.maxIdChars);

export const locationsApiArgs = {
  /**
   * Sends a location: a point (rounded to 6 decimals by the core) and an optional place name;
   * offline it is queued like any message.
   */
  sendLocation: z.object({ conversationId: id, lat: latitudeInput, lon: longitudeInput, name: placeName }).strict(),
} as const;

/** A location as its message shows it (MessageView.location); the place name is the message's text. */
export interface LocationView {
  lat: number;
  lon: number;
}
