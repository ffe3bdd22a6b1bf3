import type { JSX } from 'preact';
import './checkbox-field.css';

type CheckboxProps = Omit<JSX.InputHTMLAttributes<HTMLInputElement>, 'label' | 'type'> & {
  label: string;
  name: string;
  error?: string | undefined;
  /** What ticking it does, read with the box. */
  hint?: string;
};

/** A labelled checkbox (submitted as "on" when ticked), its hint and error tied to it. */
export function CheckboxField({ label, name, error, hint, ...input }: CheckboxProps) {
  const id = `field-${name}`;
  const described = [hint && `${id}-hint`, error && `${id}-error`].filter(Boolean).join(' ') || undefined;
  return (
    <div class="field">
      <span class="check">
        <input type="checkbox" id={id} name={name} aria-invalid={error ? 'true' : undefined} aria-describedby={described} {...input} />
        <label for={id}>{label}</label>
      </span>
      {hint && (
        <small id={`${id}-hint`} class="hint">
          {hint}
        </small>
      )}
      {error && (
        <small id={`${id}-error`} class="field-error">
          {error}
        </small>
      )}
    </div>
  );
}
