import type { JSX } from 'preact';
import './checkbox-field.css';

type CheckboxProps = Omit<JSX.InputHTMLAttributes<HTMLInputElement>, 'label' | 'type'> & { label: string; name: string; error?: string | undefined };

/** A labelled checkbox (submitted as "on" when ticked), its error tied to it. */
export function CheckboxField({ label, name, error, ...input }: CheckboxProps) {
  const id = `field-${name}`;
  return (
    <div class="field">
      <span class="check">
        <input type="checkbox" id={id} name={name} aria-invalid={error ? 'true' : undefined} aria-describedby={error ? `${id}-error` : undefined} {...input} />
        <label for={id}>{label}</label>
      </span>
      {error && (
        <small id={`${id}-error`} class="field-error">
          {error}
        </small>
      )}
    </div>
  );
}
