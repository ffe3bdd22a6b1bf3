import type { JSX } from 'preact';
import { describedBy, FieldNotes } from './components.tsx';
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
  return (
    <div class="field">
      <span class="check">
        <input type="checkbox" id={id} name={name} aria-invalid={error ? 'true' : undefined} aria-describedby={describedBy(id, hint, error)} {...input} />
        <label for={id}>{label}</label>
      </span>
      <FieldNotes id={id} hint={hint} error={error} />
    </div>
  );
}
