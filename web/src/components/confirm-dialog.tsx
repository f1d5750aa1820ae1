/**
 * Asks before something that cannot be undone or that exposes data (make public, remove a policy,
 * reject a request, revoke a key): a modal <dialog> with the consequence in words, an optional reason
 * field, and Cancel as the default. `onConfirm` gets the reason typed.
 */
import { useEffect, useRef, useState } from 'preact/hooks';

export interface ConfirmRequest {
  title: string;
  message: string;
  confirmLabel: string;
  /** Ask for a reason (shown to whom the message says). */
  reason?: { label: string };
  danger?: boolean;
  onConfirm: (reason: string) => void | Promise<void>;
}

export function ConfirmDialog({ request, onClose }: { request: ConfirmRequest | null; onClose: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  /** Closing the dialog fires its close event, which tells the owner (once). */
  const dismiss = () => {
    const d = ref.current;
    if (d?.open && d.close) d.close();
    else onClose();
  };
  const [reason, setReason] = useState('');
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (request && !d.open) {
      setReason('');
      d.showModal?.();
      if (!d.showModal) d.setAttribute('open', '');
    } else if (!request && d.open) d.close?.();
  }, [request]);
  return (
    <dialog ref={ref} aria-labelledby="confirm-title" aria-describedby="confirm-message" onClose={onClose}>
      {request && (
        <form
          method="dialog"
          class="stack"
          onSubmit={async (e) => {
            e.preventDefault();
            const r = reason.trim();
            const confirmed = request.onConfirm;
            dismiss();
            await confirmed(r);
          }}
        >
          <h3 id="confirm-title">{request.title}</h3>
          <p id="confirm-message">{request.message}</p>
          {request.reason && (
            <>
              <label for="confirm-reason">{request.reason.label}</label>
              <textarea id="confirm-reason" rows={3} value={reason} onInput={(e) => setReason((e.currentTarget as HTMLTextAreaElement).value)} />
            </>
          )}
          <div class="row">
            <button type="button" autoFocus onClick={dismiss}>Cancel</button>
            <button type="submit" class={request.danger ? 'danger' : 'primary'}>{request.confirmLabel}</button>
          </div>
        </form>
      )}
    </dialog>
  );
}
