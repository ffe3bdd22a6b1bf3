import type { ComponentChildren, JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from '../api.ts';
import { common } from '../i18n.ts';
import { hrefOf, navigate } from '../router.ts';
import type { Action, Paged } from './hooks.ts';

/** A screen: its heading takes the focus on arrival, so a screen reader announces where the user is. */
export function Screen(props: { title: string; children: ComponentChildren; actions?: ComponentChildren }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${props.title} · Tessera`;
    heading.current?.focus();
  }, [props.title]);
  return (
    <section class="screen" aria-labelledby="screen-title">
      <div class="screen-head">
        <h1 id="screen-title" tabIndex={-1} ref={heading}>
          {props.title}
        </h1>
        {props.actions}
      </div>
      {props.children}
    </section>
  );
}

/** An error as the API named it: its message in the user's language, the code for support, and per-field problems. */
export function ErrorNotice(props: { error: unknown }) {
  if (props.error === undefined || props.error === null) return null;
  const text = common();
  if (props.error instanceof ApiError) {
    const fields = props.error.code === 'VALIDATION.FAILED' ? Object.entries(props.error.details) : [];
    return (
      <div class="notice error" role="alert">
        <p>{props.error.message}</p>
        {fields.length > 0 && (
          <ul>
            {fields.map(([field, problem]) => (
              <li key={field}>
                <code>{field}</code>: {String(problem)}
              </li>
            ))}
          </ul>
        )}
        <p class="code">{text.errorCode(props.error.code)}</p>
      </div>
    );
  }
  return (
    <div class="notice error" role="alert">
      <p>{props.error instanceof Error ? props.error.message : JSON.stringify(props.error)}</p>
    </div>
  );
}

/** What an action ended in: its error, or its success notice. */
export function ActionStatus(props: { action: Action }) {
  return (
    <>
      <ErrorNotice error={props.action.error} />
      {props.action.notice !== undefined && (
        <p class="notice success" role="status">
          {props.action.notice}
        </p>
      )}
    </>
  );
}

export function Loading(props: { when: boolean }) {
  return props.when ? (
    <p class="loading" role="status">
      {common().loading}
    </p>
  ) : null;
}

type InputProps = Omit<JSX.InputHTMLAttributes<HTMLInputElement>, 'label'> & { label: string; name: string; error?: string | undefined; hint?: string };

/** A labelled input; a field error is tied to it for assistive technology. */
export function Field({ label, name, error, hint, ...input }: InputProps) {
  const id = `field-${name}`;
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <input id={id} name={name} aria-invalid={error ? 'true' : undefined} aria-describedby={describedBy(id, hint, error)} {...input} />
      <FieldNotes id={id} hint={hint} error={error} />
    </div>
  );
}

/** The ids of a field's hint and error, for `aria-describedby` (the notes FieldNotes shows). */
export const describedBy = (id: string, hint: string | undefined, error: string | undefined): string | undefined =>
  [hint && `${id}-hint`, error && `${id}-error`].filter(Boolean).join(' ') || undefined;

/** A field's hint and error under it, each with the id its control names. */
export function FieldNotes(props: { id: string; hint?: string | undefined; error?: string | undefined }) {
  return (
    <>
      {props.hint && (
        <small id={`${props.id}-hint`} class="hint">
          {props.hint}
        </small>
      )}
      {props.error && (
        <small id={`${props.id}-error`} class="field-error">
          {props.error}
        </small>
      )}
    </>
  );
}

type SelectProps = Omit<JSX.SelectHTMLAttributes<HTMLSelectElement>, 'label'> & {
  label: string;
  name: string;
  options: ReadonlyArray<{ value: string; label: string; disabled?: boolean }>;
  error?: string | undefined;
};

export function SelectField({ label, name, options, error, ...select }: SelectProps) {
  const id = `field-${name}`;
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <select id={id} name={name} aria-invalid={error ? 'true' : undefined} aria-describedby={describedBy(id, undefined, error)} {...select}>
        {options.map((option) => (
          <option key={option.value} value={option.value} disabled={option.disabled}>
            {option.label}
          </option>
        ))}
      </select>
      <FieldNotes id={id} error={error} />
    </div>
  );
}

/** A destructive button that asks once more in place (no modal dialog to trap focus). */
export function ConfirmButton(props: { label: string; onConfirm: () => void; disabled?: boolean; confirmLabel?: string }) {
  const [asking, setAsking] = useState(false);
  const text = common();
  if (!asking) {
    return (
      <button type="button" class="danger" disabled={props.disabled} onClick={() => setAsking(true)}>
        {props.label}
      </button>
    );
  }
  return (
    <span class="confirm" role="group" aria-label={text.areYouSure}>
      <span>{text.areYouSure}</span>
      <button
        type="button"
        class="danger"
        ref={(button) => button?.focus()}
        onClick={() => {
          setAsking(false);
          props.onConfirm();
        }}
      >
        {props.confirmLabel ?? text.confirm}
      </button>
      <button type="button" onClick={() => setAsking(false)}>
        {text.cancel}
      </button>
    </span>
  );
}

/** Previous / next for a keyset-paginated list. */
export function Pager<T>(props: { list: Paged<T> }) {
  const text = common();
  const { list } = props;
  if (!list.hasNext && !list.hasPrevious) return null;
  return (
    <nav class="pager" aria-label={text.pagination}>
      <button type="button" disabled={!list.hasPrevious || list.loading} onClick={list.previous}>
        {text.previous}
      </button>
      <button type="button" disabled={!list.hasNext || list.loading} onClick={list.next}>
        {text.next}
      </button>
    </nav>
  );
}

/** A link inside the console: a normal anchor (open in a new tab works), followed in place otherwise. */
export function Link(props: { href: string; children: ComponentChildren; class?: string; current?: boolean }) {
  return (
    <a
      href={hrefOf(props.href)}
      class={props.class}
      aria-current={props.current ? 'page' : undefined}
      onClick={(event) => {
        if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
        event.preventDefault();
        navigate(props.href);
      }}
    >
      {props.children}
    </a>
  );
}

/**
 * A table with a caption (for screen readers) and an empty state. Wider than a phone, it
 * scrolls sideways inside a named region that takes the keyboard's focus, so the columns out
 * of sight are reachable without a mouse even when no cell holds a control.
 */
export function Table(props: { caption: string; headers: readonly string[]; empty: boolean; children: ComponentChildren }) {
  return (
    <div class="table-wrap" role="region" aria-label={props.caption} tabIndex={0}>
      <table>
        <caption class="visually-hidden">{props.caption}</caption>
        <thead>
          <tr>
            {props.headers.map((header) => (
              <th key={header} scope="col">
                {header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.empty ? (
            <tr>
              <td colSpan={props.headers.length}>{common().none}</td>
            </tr>
          ) : (
            props.children
          )}
        </tbody>
      </table>
    </div>
  );
}
