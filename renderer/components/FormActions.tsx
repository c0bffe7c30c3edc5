interface Props {
  /** Why the last submit failed, announced; null when there is nothing to say. */
  error: string | null;
  cancelLabel: string;
  onCancel: () => void;
  /** The submit button's words, which the caller changes while it works ("Send" / "Sending…"). */
  submitLabel: string;
  submitDisabled: boolean;
}

/** The end of a dialog's form: its error, then Cancel and the submit button. */
export function FormActions({ error, cancelLabel, onCancel, submitLabel, submitDisabled }: Props) {
  return (
    <>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      <div className="dialog__actions">
        <button type="button" className="button button--secondary" onClick={onCancel}>
          {cancelLabel}
        </button>
        <button type="submit" className="button button--primary" disabled={submitDisabled}>
          {submitLabel}
        </button>
      </div>
    </>
  );
}
