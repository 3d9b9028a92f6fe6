/** A failed action's message under its form, announced to screen readers; nothing when there is none. */
export function FormError({ error }: { error: string | null | undefined }) {
  return error ? (
    <p class="form-error" role="alert">
      {error}
    </p>
  ) : null;
}
