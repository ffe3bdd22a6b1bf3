import { api, call } from '../api.ts';
import { useSignedIn, useWorkspace } from '../context.ts';
import { common, defineText, formatDate } from '../i18n.ts';
import { ActionStatus, ConfirmButton, ErrorNotice, Link, Loading, Pager, Screen, Table } from '../ui/components.tsx';
import { useAction, useLoad, usePaged } from '../ui/hooks.ts';

export const membersText = defineText(
  {
    title: 'Members',
    added: 'Added',
    roleOf: (name: string) => `Role of ${name}`,
    transfer: 'Make owner',
    owner: 'Owner',
    you: '(you)',
    roleChanged: (name: string, role: string) => `${name} is now ${role}.`,
    removed: (name: string) => `${name} was removed.`,
    transferred: (name: string) => `${name} now owns this workspace.`,
  },
  {
    title: 'Miembros',
    added: 'Agregado',
    roleOf: (name: string) => `Rol de ${name}`,
    transfer: 'Hacer propietario',
    owner: 'Propietario',
    you: '(tú)',
    roleChanged: (name: string, role: string) => `${name} ahora es ${role}.`,
    removed: (name: string) => `${name} fue quitado.`,
    transferred: (name: string) => `${name} ahora es propietario de esta sucursal.`,
  },
);

/** The workspace's members: change a role, remove a member, hand the ownership over. */
export function MembersScreen() {
  const text = membersText();
  const shared = common();
  const { me } = useSignedIn();
  const { workspace, permissions, reload } = useWorkspace();
  const list = usePaged(async (cursor) => call(api.GET('/api/v1/members', { params: { query: { limit: 25, ...(cursor && { cursor }) } } })), [workspace.id]);
  const roles = useLoad(async () => (await call(api.GET('/api/v1/roles', { params: { query: { limit: 100 } } }))).data, [workspace.id]);
  const action = useAction();
  const canManage = permissions.has('members:manage');
  const canRemove = permissions.has('members:remove');
  const canTransfer = workspace.is_owner;
  const roleOptions = (roles.data ?? []).filter((role) => role.name !== 'owner');

  return (
    <Screen title={text.title}>
      <ErrorNotice error={list.error ?? roles.error} />
      <ActionStatus action={action} />
      <Loading when={list.loading} />
      <Table caption={text.title} headers={[shared.name, shared.email, shared.role, text.added, shared.actions]} empty={!list.loading && list.rows.length === 0}>
        {list.rows.map((member) => {
          const isOwner = member.role === 'owner';
          const isMe = member.id === me.id;
          return (
            <tr key={member.id}>
              <td>
                <Link href={`/w/${workspace.id}/access/${member.id}`}>{member.name}</Link> {isMe && text.you}
              </td>
              <td>{member.email}</td>
              <td>
                {isOwner || !canManage ? (
                  member.role
                ) : (
                  <select
                    aria-label={text.roleOf(member.name)}
                    value={member.role}
                    disabled={action.busy}
                    onChange={(event) => {
                      const role = event.currentTarget.value;
                      void action.run(async () => {
                        await call(api.PUT('/api/v1/members/{user_id}', { params: { path: { user_id: String(member.id) } }, body: { role } }));
                        list.reload();
                      }, text.roleChanged(member.name, role));
                    }}
                  >
                    {roleOptions.map((role) => (
                      <option key={role.name} value={role.name}>
                        {role.display_name}
                      </option>
                    ))}
                  </select>
                )}
              </td>
              <td>{formatDate(member.added_at)}</td>
              <td>
                <div class="actions">
                {canRemove && !isOwner && (
                  <ConfirmButton
                    label={shared.remove}
                    disabled={action.busy}
                    onConfirm={() =>
                      void action.run(async () => {
                        await call(api.DELETE('/api/v1/members/{user_id}', { params: { path: { user_id: String(member.id) } } }));
                        list.reload();
                      }, text.removed(member.name))
                    }
                  />
                )}
                {canTransfer && !isOwner && (
                  <ConfirmButton
                    label={text.transfer}
                    disabled={action.busy}
                    onConfirm={() =>
                      void action.run(async () => {
                        await call(api.POST('/api/v1/workspaces/{id}/transfer-ownership', { params: { path: { id: String(workspace.id) } }, body: { user_id: member.id } }));
                        list.reload();
                        reload();
                      }, text.transferred(member.name))
                    }
                  />
                )}
                </div>
              </td>
            </tr>
          );
        })}
      </Table>
      <Pager list={list} />
    </Screen>
  );
}
