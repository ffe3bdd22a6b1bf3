import { useState } from 'preact/hooks';
import { api, call, type Schemas } from '../api.ts';
import { useWorkspace } from '../context.ts';
import { common, defineText, formatDate } from '../i18n.ts';
import { ActionStatus, ConfirmButton, ErrorNotice, Field, Loading, Pager, Screen, Table } from '../ui/components.tsx';
import { fieldErrors, formValues, useAction, usePaged } from '../ui/hooks.ts';
import { explainedRefusal, toggled, usePermissionCatalogue } from '../ui/permissions.ts';
import { OnceField } from '../ui/once-field.tsx';
import './api-keys.css';

type ApiKey = Schemas['ApiKey'];
type CreatedApiKey = Schemas['CreatedApiKey'];

export const apiKeysText = defineText(
  {
    title: 'API keys',
    list: 'Keys of this workspace',
    create: 'Create a key',
    createButton: 'Create the key',
    scopes: 'Scopes',
    scopesHint: 'What the key may do in this workspace. A key never does more than you may do yourself, so permissions you do not hold are greyed out.',
    holdAll: 'Select all I hold',
    clearAll: 'Clear',
    expiresAt: 'Expires (optional)',
    expiresHint: 'Empty: the key works until it is revoked.',
    prefix: 'Starts with',
    expires: 'Expires',
    lastUsed: 'Last used',
    never: 'Never',
    active: 'Active',
    revoked: 'Revoked',
    expired: 'Expired',
    scopeCount: (count: number) => `${count} scopes`,
    revoke: 'Revoke',
    revokedNotice: (name: string) => `The key “${name}” was revoked: it no longer works.`,
    createdNotice: (name: string) => `The key “${name}” was created.`,
    secretHeading: (name: string) => `The secret of “${name}”`,
    secretNotice: 'Copy it now: it will not be shown again. Tessera keeps only a digest of it. Send it as “Authorization: Bearer …”.',
    secretLabel: 'Secret (select it and copy it)',
    secretDone: 'I have copied it',
    cannotManage: 'Your role lets you see the keys, not create or revoke them.',
    notHeld: (description: string) => `${description} (you do not hold it)`,
  },
  {
    title: 'Claves de API',
    list: 'Claves de esta sucursal',
    create: 'Crear una clave',
    createButton: 'Crear la clave',
    scopes: 'Permisos',
    scopesHint: 'Lo que la clave puede hacer en esta sucursal. Una clave nunca hace más de lo que tú puedes hacer, así que los permisos que no tienes aparecen desactivados.',
    holdAll: 'Marcar todos los que tengo',
    clearAll: 'Desmarcar',
    expiresAt: 'Vence (opcional)',
    expiresHint: 'Vacío: la clave sirve hasta que se revoque.',
    prefix: 'Empieza por',
    expires: 'Vence',
    lastUsed: 'Último uso',
    never: 'Nunca',
    active: 'Activa',
    revoked: 'Revocada',
    expired: 'Vencida',
    scopeCount: (count: number) => `${count} permisos`,
    revoke: 'Revocar',
    revokedNotice: (name: string) => `Se revocó la clave «${name}»: ya no funciona.`,
    createdNotice: (name: string) => `Se creó la clave «${name}».`,
    secretHeading: (name: string) => `El secreto de «${name}»`,
    secretNotice: 'Cópialo ahora: no se volverá a mostrar. Tessera solo guarda un resumen de él. Envíalo como «Authorization: Bearer …».',
    secretLabel: 'Secreto (selecciónalo y cópialo)',
    secretDone: 'Ya lo copié',
    cannotManage: 'Tu rol te deja ver las claves, no crearlas ni revocarlas.',
    notHeld: (description: string) => `${description} (no lo tienes)`,
  },
);

/** Scopes listed in full up to this many; more fold into a disclosure. */
const INLINE_SCOPES = 4;

function keyState(key: ApiKey): 'active' | 'revoked' | 'expired' {
  if (key.revoked_at !== null) return 'revoked';
  if (key.expires_at !== null && Date.parse(key.expires_at) <= Date.now()) return 'expired';
  return 'active';
}

/** The workspace's API keys: create one within the user's own permissions (its secret shown once), list and revoke. */
export function ApiKeysScreen() {
  const text = apiKeysText();
  const shared = common();
  const { workspace, permissions } = useWorkspace();
  const canManage = permissions.has('api_keys:manage');
  const list = usePaged(async (cursor) => call(api.GET('/api/v1/api-keys', { params: { query: { limit: 25, ...(cursor && { cursor }) } } })), [workspace.id]);
  const catalogue = usePermissionCatalogue();
  const entries = catalogue.data?.entries ?? [];
  const action = useAction();
  const [scopes, setScopes] = useState<ReadonlySet<string>>(new Set());
  const [created, setCreated] = useState<CreatedApiKey>();
  const errors = fieldErrors(action.error);
  const holdable = entries.filter((permission) => permissions.has(permission.id));


  return (
    <Screen title={text.title}>
      <ErrorNotice error={list.error ?? catalogue.error} />
      {created && (
        <section class="notice secret-once" aria-labelledby="secret-title">
          <h2 id="secret-title">{text.secretHeading(created.name)}</h2>
          <p id="secret-notice">
            <strong>{text.secretNotice}</strong>
          </p>
          <OnceField label={text.secretLabel} name="api-key-secret" value={created.secret} describedBy="secret-notice" focus />
          <button type="button" onClick={() => setCreated(undefined)}>
            {text.secretDone}
          </button>
        </section>
      )}
      {canManage ? (
        <>
          <h2>{text.create}</h2>
          <form
            class="api-key-form"
            onSubmit={(event) => {
              const form = event.currentTarget;
              const { name = '', expires_at: expires } = formValues(event);
              void action.run(async () => {
                setCreated(undefined);
                const answer = await explainedRefusal(
                  call(api.POST('/api/v1/api-keys', { body: { name, scopes: [...scopes], ...(expires && { expires_at: new Date(expires).toISOString() }) } })),
                  catalogue.data?.describe,
                );
                setCreated(answer.data);
                setScopes(new Set());
                form.reset();
                list.reload();
              }, text.createdNotice(name));
            }}
          >
            <Field label={shared.name} name="name" required maxLength={100} autoComplete="off" error={errors.name} />
            <fieldset aria-describedby="scopes-hint" aria-invalid={errors.scopes ? 'true' : undefined}>
              <legend>{text.scopes}</legend>
              <p id="scopes-hint" class="hint">
                {text.scopesHint}
              </p>
              <div class="actions">
                <button type="button" onClick={() => setScopes(new Set(holdable.map((permission) => permission.id)))}>
                  {text.holdAll}
                </button>
                <button type="button" onClick={() => setScopes(new Set())}>
                  {text.clearAll}
                </button>
              </div>
              <Loading when={catalogue.loading} />
              <div class="checks scope-checks">
                {entries.map((permission) => {
                  const held = permissions.has(permission.id);
                  return (
                    <label key={permission.id} class={held ? undefined : 'not-held'}>
                      <input
                        type="checkbox"
                        name="scopes"
                        value={permission.id}
                        checked={scopes.has(permission.id)}
                        disabled={!held}
                        onChange={(event) => setScopes((chosen) => toggled(chosen, permission.id, event.currentTarget.checked))}
                      />
                      <span>
                        <code>{permission.id}</code> <small>{held ? permission.description : text.notHeld(permission.description)}</small>
                      </span>
                    </label>
                  );
                })}
              </div>
              {errors.scopes && <p class="field-error">{errors.scopes}</p>}
            </fieldset>
            <Field label={text.expiresAt} name="expires_at" type="datetime-local" hint={text.expiresHint} error={errors.expires_at} />
            <button type="submit" class="primary" disabled={action.busy || catalogue.loading}>
              {text.createButton}
            </button>
          </form>
        </>
      ) : (
        <p class="hint">{text.cannotManage}</p>
      )}
      <ActionStatus action={action} />

      <h2>{text.list}</h2>
      <Loading when={list.loading} />
      <Table
        caption={text.list}
        headers={[shared.name, text.prefix, text.scopes, shared.status, shared.created, text.expires, text.lastUsed, shared.actions]}
        empty={!list.loading && list.rows.length === 0}
      >
        {list.rows.map((key) => {
          const state = keyState(key);
          return (
            <tr key={key.id}>
              <td>{key.name}</td>
              <td>
                <code>{key.prefix}…</code>
              </td>
              <td>
                {key.scopes.length <= INLINE_SCOPES ? (
                  <span class="scope-list">{key.scopes.join(', ')}</span>
                ) : (
                  <details>
                    <summary>{text.scopeCount(key.scopes.length)}</summary>
                    <span class="scope-list">{key.scopes.join(', ')}</span>
                  </details>
                )}
              </td>
              <td>{text[state]}</td>
              <td>{formatDate(key.created_at)}</td>
              <td>{key.expires_at === null ? text.never : formatDate(key.expires_at)}</td>
              <td>{key.last_used_at === null ? text.never : formatDate(key.last_used_at)}</td>
              <td>
                {canManage && state === 'active' && (
                  <ConfirmButton
                    label={text.revoke}
                    disabled={action.busy}
                    onConfirm={() =>
                      void action.run(async () => {
                        await call(api.DELETE('/api/v1/api-keys/{id}', { params: { path: { id: String(key.id) } } }));
                        list.reload();
                      }, text.revokedNotice(key.name))
                    }
                  />
                )}
              </td>
            </tr>
          );
        })}
      </Table>
      <Pager list={list} />
    </Screen>
  );
}
