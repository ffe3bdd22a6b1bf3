import { useEffect, useRef } from 'preact/hooks';
import './once-field.css';

/**
 * A value shown once (a secret, a one-time link): a labelled read-only field whose whole text
 * is selected when it takes the focus, so the user copies it with the keyboard or the mouse.
 * `describedBy` names the element that says why it matters; `focus` takes the focus on arrival.
 */
export function OnceField(props: { label: string; name: string; value: string; describedBy?: string; focus?: boolean }) {
  const id = `once-${props.name}`;
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (props.focus) input.current?.focus();
  }, [props.focus, props.value]);
  return (
    <div class="field once-field">
      <label for={id}>{props.label}</label>
      <input
        id={id}
        ref={input}
        class="secret"
        readOnly
        value={props.value}
        spellcheck={false}
        autoComplete="off"
        aria-describedby={props.describedBy}
        onFocus={(event) => event.currentTarget.select()}
        onClick={(event) => event.currentTarget.select()}
      />
    </div>
  );
}
