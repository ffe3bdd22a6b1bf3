import { api, call } from '../api.ts';
import { useSignedIn } from '../context.ts';
import { common, defineText, formatDate } from '../i18n.ts';
import { navigate } from '../router.ts';
import { ActionStatus, ErrorNotice, Field, Link, Loading, Pager, Screen, Table } from '../ui/components.tsx';
import { fieldErrors, formValues, useAction, usePaged } from '../ui/hooks.ts';

export const workspacesText = defineText(
  {
    title: 'Workspaces',
    all: 'All workspaces…',
    create: 'Create a workspace',
    slug: 'Slug (optional)',
    slugHint: '3–48 characters: a–z, 0–9 and -',
    owner: 'Owner',
    open: 'Open',
    created: (name: string) => `Workspace “${name}” created.`,
  },
  {
    title: 'Sucursales',
    all: 'Todas las sucursales…',
    create: 'Crear una sucursal',
    slug: 'Identificador (opcional)',
    slugHint: '3 a 48 caracteres: a–z, 0–9 y -',
    owner: 'Propietario',
    open: 'Abrir',
    created: (name: string) => `Sucursal «${name}» creada.`,
  },
);

/** Every workspace the user can reach, and a new one. */
export function WorkspacesScreen() {
  const text = workspacesText();
  const shared = common();
  const { reloadMe } = useSignedIn();
  const list = usePaged(async (cursor) => call(api.GET('/api/v1/workspaces', { params: { query: { limit: 20, ...(cursor && { cursor }) } } })), []);
  const action = useAction();
  const errors = fieldErrors(action.error);
  return (
    <Screen title={text.title}>
      <ErrorNotice error={list.error} />
      <Loading when={list.loading} />
      <Table caption={text.title} headers={[shared.name, text.owner, shared.role, shared.created]} empty={!list.loading && list.rows.length === 0}>
        {list.rows.map((workspace) => (
          <tr key={workspace.id}>
            <td>
              <Link href={`/w/${workspace.id}/members`}>{workspace.name}</Link>
            </td>
            <td>{workspace.owner?.name ?? '—'}</td>
            <td>{workspace.role ?? '—'}</td>
            <td>{formatDate(workspace.created_at)}</td>
          </tr>
        ))}
      </Table>
      <Pager list={list} />
      <h2>{text.create}</h2>
      <form
        onSubmit={(event) => {
          const { name, slug } = formValues(event);
          const form = event.currentTarget;
          void action.run(async () => {
            const created = await call(api.POST('/api/v1/workspaces', { body: { name: name ?? '', ...(slug ? { slug } : {}) } }));
            form.reset();
            await reloadMe();
            navigate(`/w/${created.data.id}/members`);
          }, text.created(name ?? ''));
        }}
      >
        <Field label={shared.name} name="name" required maxLength={32} error={errors.name} />
        <Field label={text.slug} name="slug" pattern="[a-z0-9\-]{3,48}" hint={text.slugHint} error={errors.slug} />
        <ActionStatus action={action} />
        <button type="submit" class="primary" disabled={action.busy}>
          {text.create}
        </button>
      </form>
    </Screen>
  );
}
