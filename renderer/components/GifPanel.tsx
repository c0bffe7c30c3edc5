import { useEffect, useRef, useState, type RefObject } from 'react';
import { gifPageUrl, type GifResultView } from '../../sync/app-api/gifs-api.js';
import { useGifSearch, type GifSearchState } from '../hooks/useGifSearch.js';
import { usePrefersReducedMotion } from '../hooks/usePrefersReducedMotion.js';
import { t } from '../i18n/index.js';
import type { GifProblem } from '../state/gifs.js';
import { fitWithin } from '../state/image-size.js';
import { GifImage } from './GifImage.js';

/** Results are shown at most this wide or tall, two to a row. */
const CELL_PX = 160;

interface Props {
  /** A GIF was chosen (the dialog closes and the composer sends it). */
  onPick: (gif: GifResultView) => void;
  searchRef: RefObject<HTMLInputElement | null>;
}

/**
 * The picker's "GIFs" tab: a search through this person's server ("Search GIFs"), its results as
 * buttons named by their titles in the list "GIF results", "More GIFs" for the next page (fetched
 * by itself when the end of the list scrolls into view), and what went wrong in words. GIFs stay
 * still when the system asks for less motion.
 */
export function GifPanel({ onPick, searchRef }: Props) {
  const [text, setText] = useState('');
  const { state, more, retry } = useGifSearch(text);
  const still = usePrefersReducedMotion();

  return (
    <div className="gif-panel">
      <input
        ref={searchRef}
        type="search"
        className="emoji-picker__search"
        aria-label={t.gifs.search}
        placeholder={t.gifs.searchPlaceholder}
        value={text}
        onChange={(event) => setText(event.target.value)}
      />
      <div className="gif-panel__viewport">
        <GifResults state={state} still={still} onPick={onPick} more={more} retry={retry} />
      </div>
      {state.kind === 'results' && state.attribution === 'giphy' && (
        <p className="gif-panel__attribution">{t.gifs.poweredByGiphy}</p>
      )}
    </div>
  );
}

function GifResults({
  state,
  still,
  onPick,
  more,
  retry,
}: {
  state: GifSearchState;
  still: boolean;
  onPick: (gif: GifResultView) => void;
  more: () => void;
  retry: () => void;
}) {
  switch (state.kind) {
    case 'idle':
      return <p className="emoji-picker__note">{t.gifs.prompt}</p>;
    case 'searching':
      return (
        <p className="emoji-picker__note" role="status">
          {t.gifs.searching}
        </p>
      );
    case 'failed':
      return <Problem problem={state.problem} retry={state.problem === 'not_configured' ? null : retry} />;
    case 'results':
      if (state.results.length === 0) return <p className="emoji-picker__note">{t.gifs.empty(state.query)}</p>;
      return (
        <>
          <ul className="gif-panel__grid" aria-label={t.gifs.results}>
            {state.results.map((gif) => (
              <li key={gif.id}>
                <GifButton gif={gif} still={still} onPick={onPick} />
              </li>
            ))}
          </ul>
          {state.more !== 'idle' && state.more !== 'loading' && <Problem problem={state.more} retry={more} />}
          {state.next !== null && state.more !== 'loading' && state.more === 'idle' && <MoreButton more={more} />}
          {state.more === 'loading' && (
            <p className="emoji-picker__note" role="status">
              {t.gifs.searching}
            </p>
          )}
        </>
      );
  }
}

function GifButton({ gif, still, onPick }: { gif: GifResultView; still: boolean; onPick: (gif: GifResultView) => void }) {
  const name = gif.title.trim() || t.gifs.untitled;
  const size = fitWithin(gif.width, gif.height, CELL_PX);
  return (
    <button type="button" className="gif-panel__gif" aria-label={name} title={name} onClick={() => onPick(gif)}>
      <GifImage src={gifPageUrl(gif.id)} alt="" width={size.width} height={size.height} playing={!still} />
    </button>
  );
}

/** "More GIFs", also pressed by itself when it scrolls into view (the end of the list reached). */
function MoreButton({ more }: { more: () => void }) {
  const ref = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    const button = ref.current;
    if (!button || typeof IntersectionObserver === 'undefined') return;
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((entry) => entry.isIntersecting)) more();
    });
    observer.observe(button);
    return () => observer.disconnect();
  }, [more]);
  return (
    <button ref={ref} type="button" className="link-button gif-panel__more" onClick={more}>
      {t.gifs.more}
    </button>
  );
}

function Problem({ problem, retry }: { problem: GifProblem; retry: (() => void) | null }) {
  const words: Record<GifProblem, string> = {
    not_configured: t.gifs.notConfigured,
    offline: t.gifs.offline,
    rate_limited: t.gifs.rateLimited,
    failed: t.gifs.failed,
  };
  return (
    <div className="emoji-picker__note" role="alert">
      <p>{words[problem]}</p>
      {retry && (
        <button type="button" className="link-button" onClick={retry}>
          {t.gifs.retry}
        </button>
      )}
    </div>
  );
}
