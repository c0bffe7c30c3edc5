import { t } from '../i18n/index.js';
import { useActions } from '../state/context.js';

/** Shown until the core first answers, or when it never did. */
export function StartupScreen({ unreachable }: { unreachable: boolean }) {
  const { reloadAll } = useActions();
  return (
    <div className="startup" aria-busy={!unreachable}>
      {unreachable ? (
        <>
          <p className="startup__text" role="alert">
            {t.app.unreachable}
          </p>
          <button type="button" className="button button--primary" onClick={() => void reloadAll()}>
            {t.app.retry}
          </button>
        </>
      ) : (
        <>
          <span className="spinner" aria-hidden="true" />
          <p className="startup__text">{t.app.loading}</p>
        </>
      )}
    </div>
  );
}
