import { useEffect, useState, type ImgHTMLAttributes } from 'react';

interface Props extends Omit<ImgHTMLAttributes<HTMLImageElement>, 'src' | 'alt' | 'width' | 'height'> {
  src: string;
  alt: string;
  width: number;
  height: number;
  /** Animated; otherwise its first frame, still. */
  playing: boolean;
}

/**
 * A GIF, looping as GIFs do (they have no sound to mute), or held on its first frame: the frame is
 * drawn once into a canvas and shown as an image, so it keeps the image's name and size either way.
 */
export function GifImage({ src, alt, width, height, playing, className, ...rest }: Props) {
  const still = useFirstFrame(src, !playing);
  const shown = playing ? src : still;
  if (shown === null) {
    return (
      <span className={`gif-image gif-image--loading ${className ?? ''}`} style={{ width, height }} role="img" aria-label={alt} />
    );
  }
  return (
    <img
      {...rest}
      className={`gif-image ${className ?? ''}`}
      src={shown}
      alt={alt}
      width={width}
      height={height}
      draggable={false}
    />
  );
}

/** The GIF's first frame as a PNG data: URL, once decoded; null until then, or when not wanted. */
function useFirstFrame(src: string, wanted: boolean): string | null {
  const [frame, setFrame] = useState<{ src: string; still: string } | null>(null);
  const known = frame?.src === src;
  useEffect(() => {
    if (!wanted || known) return;
    let cancelled = false;
    const image = new Image();
    image.src = src;
    image
      .decode()
      .then(() => {
        const canvas = document.createElement('canvas');
        canvas.width = image.naturalWidth;
        canvas.height = image.naturalHeight;
        canvas.getContext('2d')?.drawImage(image, 0, 0);
        if (!cancelled) setFrame({ src, still: canvas.toDataURL('image/png') });
      })
      // An undecodable GIF shows no still frame; playing it shows what the browser makes of it.
      .catch(() => undefined);
    return () => {
      cancelled = true;
    };
  }, [src, wanted, known]);
  return wanted && known ? frame.still : null;
}
