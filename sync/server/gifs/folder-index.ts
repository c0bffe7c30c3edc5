import { z } from 'zod';
import { gifIdSchema } from '../../protocol/gif-frames.js';

/** A file named in the index: a plain relative path inside the folder, never `..`, absolute or with backslashes. */
const relativeFile = z
  .string()
  .min(1)
  .max(255)
  .refine((file) => !file.startsWith('/') && !file.includes('\\') && !file.includes('\0'), 'must be a relative path')
  .refine((file) => file.split('/').every((part) => part !== '' && part !== '.' && part !== '..'), 'must stay inside the folder');

export const folderEntrySchema = z.object({
  id: gifIdSchema,
  title: z.string().max(500),
  tags: z.array(z.string().max(100)).max(100),
  file: relativeFile,
  width: z.number().int().positive(),
  height: z.number().int().positive(),
});
export type FolderEntry = z.infer<typeof folderEntrySchema>;

/** The folder's `index.json`: its GIFs, each id once. */
export const folderIndexSchema = z
  .array(folderEntrySchema)
  .max(100_000)
  .refine((entries) => new Set(entries.map((entry) => entry.id)).size === entries.length, 'ids must be unique');

/** The lowercase words of a text: what searches match on, so "Happy-Cat!" is found by "happy cat". */
export function words(text: string): string[] {
  return text
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((word) => word !== '');
}

/** Whether every word of the query begins some word of the entry's title or tags. */
export function matches(entryWords: readonly string[], queryWords: readonly string[]): boolean {
  return queryWords.every((queryWord) => entryWords.some((word) => word.startsWith(queryWord)));
}
