import { useEffect, useState } from 'react';

type Listed = readonly MediaDeviceInfo[] | null | 'unavailable';

/** navigator.mediaDevices, which the browser leaves out on insecure origins. */
function browserMediaDevices(): MediaDevices | undefined {
  return 'mediaDevices' in navigator ? navigator.mediaDevices : undefined;
}

/**
 * The devices navigator.mediaDevices lists (microphones, cameras, speakers), listed again whenever
 * one is plugged in or out ('devicechange'). `null` until first listed; 'unavailable' where the page
 * has no mediaDevices or the browser refuses to list them.
 */
export function useMediaDevices(): Listed {
  const [devices, setDevices] = useState<Listed>(() => (browserMediaDevices() ? null : 'unavailable'));

  useEffect(() => {
    const mediaDevices = browserMediaDevices();
    if (!mediaDevices) return;
    let current = true;
    const list = () => {
      mediaDevices.enumerateDevices().then(
        (listed) => current && setDevices(listed),
        (error: unknown) => {
          console.warn('media devices not listed', error);
          if (current) setDevices('unavailable');
        },
      );
    };
    list();
    mediaDevices.addEventListener('devicechange', list);
    return () => {
      current = false;
      mediaDevices.removeEventListener('devicechange', list);
    };
  }, []);

  return devices;
}
