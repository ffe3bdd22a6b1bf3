import { useRef, useState } from 'preact/hooks';
import { defineText } from '../i18n.ts';
import './copyable.css';

const text = defineText(
  {
    copy: 'Copy',
    copyWhat: (what: string) => `Copy ${what}`,
    copied: 'Copied.',
    selected: 'Selected: press Ctrl+C (⌘C) to copy.',
  },
  {
    copy: 'Copiar',
    copyWhat: (what: string) => `Copiar ${what}`,
    copied: 'Copiado.',
    selected: 'Seleccionado: pulsa Ctrl+C (⌘C) para copiar.',
  },
);

/**
 * A value to hand to someone else (a workspace's ID): shown as code, with a button that puts it
 * on the clipboard, or selects it for the user to copy where the browser does not allow that.
 */
export function Copyable(props: { value: string; what: string }) {
  const [outcome, setOutcome] = useState<'copied' | 'selected' | undefined>();
  const shown = useRef<HTMLElement>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.value);
      setOutcome('copied');
    } catch {
      const selection = window.getSelection();
      if (shown.current && selection) {
        selection.selectAllChildren(shown.current);
      }
      setOutcome('selected');
    }
  };
  return (
    <span class="copyable">
      <code ref={shown}>{props.value}</code>
      <button type="button" class="small" aria-label={text().copyWhat(props.what)} onClick={() => void copy()}>
        {text().copy}
      </button>
      <span role="status" class="copy-outcome">
        {outcome && text()[outcome]}
      </span>
    </span>
  );
}
