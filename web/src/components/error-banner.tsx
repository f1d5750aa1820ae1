/**
 * An error in plain words, announced to screen readers. Views clear it when the state it was about
 * changes (useResource does so on every successful reload).
 */
import { errText } from '../lib/format.js';

export function ErrorBanner({ error, onDismiss }: { error: unknown; onDismiss?: () => void }) {
  if (!error) return null;
  return (
    <div class="error" role="alert">
      <span aria-hidden="true">⚠ </span>
      <span>{errText(error)}</span>
      {onDismiss && (
        <button type="button" class="link" onClick={onDismiss} aria-label="Dismiss this message">
          Dismiss
        </button>
      )}
    </div>
  );
}

/** A success or progress line (polite live region); text, never only a colour. */
export function StatusLine({ text }: { text: string | null }) {
  return (
    <p class="notice" role="status" aria-live="polite">
      {text ? <><span aria-hidden="true">✓ </span>{text}</> : null}
    </p>
  );
}
