import { t } from '../i18n/index.js';
import { useApp } from '../state/context.js';

/** While nothing can be written (the disk is full); goes away by itself once there is room again. */
export function DiskFullBanner() {
  const diskFull = useApp((s) => s.diskFull);
  if (!diskFull) return null;
  return (
    <p role="alert" className="disk-full">
      {t.app.diskFull}
    </p>
  );
}
