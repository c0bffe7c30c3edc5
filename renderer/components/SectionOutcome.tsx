/** What a settings section says after an action: how it went (a status) or why it failed (an alert). */
export function SectionOutcome({ status, error }: { status: string | null; error: string | null }) {
  return (
    <>
      {status && (
        <p className="field__hint" role="status">
          {status}
        </p>
      )}
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
    </>
  );
}
