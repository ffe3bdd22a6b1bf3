import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, call } from '../api.ts';
import { useWorkspace } from '../context.ts';
import { common, defineText, formatDate } from '../i18n.ts';
import { ActionStatus, ErrorNotice, Field, Loading, Pager, Table } from '../ui/components.tsx';
import { Copyable } from '../ui/copyable.tsx';
import { fieldErrors, formValues, useAction, useLoad, usePaged, type Action, type Paged } from '../ui/hooks.ts';

export const groupText = defineText(
  {
    thisWorkspace: 'This workspace',
    idToShare: 'An admin workspace invites this workspace by this ID.',
    idOf: (name: string) => `the ID of ${name}`,
    workspaceId: 'Workspace ID',
    workspaceIdHint: 'Paste the ID of the workspace to invite. Its owner receives the invitation.',
    adminWorkspace: 'Admin workspace',
    memberSince: 'Member since',
    leaveGroup: 'Leave workspace group',
    ownerOnlyLeaves: 'Only the owner of this workspace can leave the workspace group.',
    left: 'This workspace left the workspace group.',
    subCannotAdminister: 'A sub workspace cannot have sub workspaces of its own: leave the group first to invite workspaces.',
    subWorkspaces: 'Sub workspaces',
    name: 'Name',
    addSubWorkspace: 'Add sub workspace',
    invited: (id: string) =>
      `The invitation was sent to the owner of workspace ${id}. The workspace becomes a sub workspace once the invitation is accepted.`,
    removed: (name: string) => `${name} was removed from the workspace group.`,
    sent: 'Invitations sent',
    sentAt: 'Sent',
    expires: 'Expires',
    cancelInvitation: 'Cancel invitation',
    toWorkspace: (id: number) => `to workspace ${id}`,
    cancelled: 'The invitation was cancelled.',
    received: 'Invitations to join a workspace group',
    invitedBy: 'Inviting workspace',
    accept: 'Accept',
    invitationFrom: (name: string) => `the invitation from ${name}`,
    decline: 'Decline',
    ownerOnlyAnswers: 'Only the owner of this workspace can accept or decline.',
    accepted: (name: string) => `This workspace is now a sub workspace of ${name}.`,
    declined: 'The invitation was declined.',
  },
  {
    thisWorkspace: 'Esta sucursal',
    idToShare: 'Una sucursal administradora invita a esta sucursal con este ID.',
    idOf: (name: string) => `el ID de ${name}`,
    workspaceId: 'ID de la sucursal',
    workspaceIdHint: 'Pega el ID de la sucursal que quieres invitar. Su propietario recibe la invitación.',
    adminWorkspace: 'Sucursal administradora',
    memberSince: 'Miembro desde',
    leaveGroup: 'Salir del grupo de sucursales',
    ownerOnlyLeaves: 'Solo el propietario de esta sucursal puede salir del grupo de sucursales.',
    left: 'Esta sucursal salió del grupo de sucursales.',
    subCannotAdminister: 'Una sucursal subordinada no puede tener sucursales subordinadas: sal primero del grupo para invitar sucursales.',
    subWorkspaces: 'Sucursales subordinadas',
    name: 'Nombre',
    addSubWorkspace: 'Agregar sucursal subordinada',
    invited: (id: string) =>
      `La invitación se envió al propietario de la sucursal ${id}. La sucursal será subordinada cuando se acepte la invitación.`,
    removed: (name: string) => `${name} se retiró del grupo de sucursales.`,
    sent: 'Invitaciones enviadas',
    sentAt: 'Enviada',
    expires: 'Vence',
    cancelInvitation: 'Cancelar invitación',
    toWorkspace: (id: number) => `a la sucursal ${id}`,
    cancelled: 'La invitación se canceló.',
    received: 'Invitaciones para unirse a un grupo de sucursales',
    invitedBy: 'Sucursal que invita',
    accept: 'Aceptar',
    invitationFrom: (name: string) => `la invitación de ${name}`,
    decline: 'Rechazar',
    ownerOnlyAnswers: 'Solo el propietario de esta sucursal puede aceptar o rechazar.',
    accepted: (name: string) => `Esta sucursal ahora es subordinada de ${name}.`,
    declined: 'La invitación se rechazó.',
  },
);

/**
 * Seed 004's Workspace Group tab. In an admin workspace (or one in no group): the "Sub
 * workspaces" section, with "Add sub workspace" and each one's "Remove"; in a sub workspace:
 * the "Admin workspace" section with "Leave workspace group" (its owner only). Either way, the
 * invitations this workspace received, which its owner accepts or declines.
 */
export function WorkspaceGroupTab() {
  const text = groupText();
  const { workspace } = useWorkspace();
  const admin = useLoad(async () => (await call(api.GET('/api/v1/workspace-group-members/admin'))).data, [workspace.id]);
  // Leaving ends the section it is pressed in: its outcome is shown here, where that section was.
  const leaving = useAction();
  // Bumped when an invitation is sent, for the list of those sent to read again.
  const [sent, setSent] = useState(0);
  return (
    <>
      <section aria-labelledby="group-this">
        <h2 id="group-this">{text.thisWorkspace}</h2>
        <p>
          <strong>{workspace.name}</strong> · {text.workspaceId}: <Copyable value={String(workspace.id)} what={text.idOf(workspace.name)} />
        </p>
        <p class="hint">{text.idToShare}</p>
      </section>
      <ErrorNotice error={admin.error} />
      <Loading when={admin.data === undefined && admin.loading} />
      <ActionStatus action={leaving} />
      {admin.data !== undefined &&
        (admin.data === null ? (
          <>
            <SubWorkspaces onInvited={() => setSent((value) => value + 1)} />
            <SentInvitations version={sent} />
          </>
        ) : (
          <AdminWorkspace link={admin.data} action={leaving} onLeft={admin.reload} />
        ))}
      <ReceivedInvitations
        onAccepted={() => {
          leaving.clear();
          admin.reload();
        }}
      />
    </>
  );
}

type AdminLink = { id: number; name: string; workspace_group_member_id: number; member_since: string };

/** Seed 004, "Leaving a workspace group through the app": the "Admin workspace" section's "Leave workspace group". */
function AdminWorkspace(props: { link: AdminLink; action: Action; onLeft: () => void }) {
  const text = groupText();
  const { workspace, permissions } = useWorkspace();
  const { link, action } = props;
  const canLeave = permissions.has('groups:join') && workspace.is_owner;
  return (
    <section aria-labelledby="group-admin">
      <h2 id="group-admin">{text.adminWorkspace}</h2>
      <p>
        <strong>{link.name}</strong> · {text.workspaceId}: <Copyable value={String(link.id)} what={text.idOf(link.name)} />
      </p>
      <p>
        {text.memberSince}: {formatDate(link.member_since)}
      </p>
      {canLeave ? (
        <button
          type="button"
          class="danger"
          disabled={action.busy}
          onClick={() =>
            void action.run(async () => {
              await call(api.DELETE('/api/v1/workspace-group-members/{id}', { params: { path: { id: String(link.workspace_group_member_id) } } }));
              props.onLeft();
            }, text.left)
          }
        >
          {text.leaveGroup}
        </button>
      ) : (
        <p class="hint">{text.ownerOnlyLeaves}</p>
      )}
      <p class="hint">{text.subCannotAdminister}</p>
    </section>
  );
}

/**
 * One of the tab's lists: its heading (naming the region), what comes before the table, the
 * outcome of its row actions, and the table with its pages.
 */
function ListSection<T>(props: {
  id: string;
  title: string;
  list: Paged<T>;
  action: Action;
  headers: readonly string[];
  row: (item: T) => ComponentChildren;
  children?: ComponentChildren;
}) {
  const { list } = props;
  return (
    <section aria-labelledby={props.id}>
      <h2 id={props.id}>{props.title}</h2>
      {props.children}
      <ActionStatus action={props.action} />
      <ErrorNotice error={list.error} />
      <Loading when={list.loading} />
      <Table caption={common().listOf(props.title)} headers={props.headers} empty={!list.loading && list.rows.length === 0}>
        {list.rows.map(props.row)}
      </Table>
      <Pager list={list} />
    </section>
  );
}

/** A row's button: runs its call, then reads the list again; `target` completes its name for assistive technology. */
function RowButton(props: { label: string; target: string; action: Action; list: Paged<unknown>; work: () => Promise<unknown>; done: string; class?: string }) {
  return (
    <button
      type="button"
      class={props.class}
      disabled={props.action.busy}
      onClick={() =>
        void props.action.run(async () => {
          await props.work();
          props.list.reload();
        }, props.done)
      }
    >
      {props.label}
      <span class="visually-hidden"> {props.target}</span>
    </button>
  );
}

/** A workspace in a row: its name, and its ID to copy. */
function WorkspaceCells(props: { name: string; id: number }) {
  return (
    <>
      <td>{props.name}</td>
      <td>
        <Copyable value={String(props.id)} what={groupText().idOf(props.name)} />
      </td>
    </>
  );
}

const pageQuery = (cursor: string | undefined) => ({ limit: 20, ...(cursor && { cursor }) });

/** Seed 004, "Adding sub workspaces from the app" and "Removing sub workspaces from the app". */
function SubWorkspaces(props: { onInvited: () => void }) {
  const text = groupText();
  const shared = common();
  const { workspace, permissions } = useWorkspace();
  const canManage = permissions.has('groups:manage');
  const list = usePaged(async (cursor) => call(api.GET('/api/v1/workspace-group-members', { params: { query: pageQuery(cursor) } })), [workspace.id]);
  const action = useAction();
  const errors = fieldErrors(action.error);
  const [adding, setAdding] = useState(false);
  const form = useRef<HTMLFormElement>(null);
  const addButton = useRef<HTMLButtonElement>(null);
  const wasAdding = useRef(false);
  useEffect(() => {
    // The field takes the focus when it appears; the button takes it back when the field goes.
    if (adding) form.current?.querySelector('input')?.focus();
    else if (wasAdding.current) addButton.current?.focus();
    wasAdding.current = adding;
  }, [adding]);

  return (
    <ListSection
      id="group-subs"
      title={text.subWorkspaces}
      list={list}
      action={action}
      headers={[text.name, text.workspaceId, text.memberSince, ...(canManage ? [shared.actions] : [])]}
      row={(sub) => (
        <tr key={sub.id}>
          <WorkspaceCells name={sub.sub_workspace_name} id={sub.sub_workspace_id} />
          <td>{formatDate(sub.created_at)}</td>
          {canManage && (
            <td>
              <RowButton
                class="danger"
                label={shared.remove}
                target={sub.sub_workspace_name}
                action={action}
                list={list}
                work={() => call(api.DELETE('/api/v1/workspace-group-members/{id}', { params: { path: { id: String(sub.id) } } }))}
                done={text.removed(sub.sub_workspace_name)}
              />
            </td>
          )}
        </tr>
      )}
    >
      {canManage && !adding && (
        <button
          type="button"
          ref={addButton}
          onClick={() => {
            action.clear();
            setAdding(true);
          }}
        >
          {text.addSubWorkspace}
        </button>
      )}
      {adding && (
        <form
          ref={form}
          onSubmit={(event) => {
            const id = (formValues(event).sub_workspace_id ?? '').trim();
            void action.run(async () => {
              await call(api.POST('/api/v1/workspace-group-members', { body: { sub_workspace_id: Number(id) } }));
              setAdding(false);
              props.onInvited();
            }, text.invited(id));
          }}
        >
          <Field
            label={text.workspaceId}
            name="sub_workspace_id"
            required
            inputMode="numeric"
            autoComplete="off"
            pattern="\s*[1-9][0-9]{0,15}\s*"
            hint={text.workspaceIdHint}
            error={errors.sub_workspace_id}
          />
          <div class="actions">
            <button type="submit" class="primary" disabled={action.busy}>
              {text.addSubWorkspace}
            </button>
            <button
              type="button"
              onClick={() => {
                action.clear();
                setAdding(false);
              }}
            >
              {shared.cancel}
            </button>
          </div>
        </form>
      )}
    </ListSection>
  );
}

/** The admin side's pending invitations, which it may cancel until they are answered; shown once there are some. */
function SentInvitations(props: { version: number }) {
  const text = groupText();
  const shared = common();
  const { workspace, permissions } = useWorkspace();
  const canManage = permissions.has('groups:manage');
  const list = usePaged(
    async (cursor) => call(api.GET('/api/v1/workspace-group-invitations', { params: { query: { direction: 'sent', status: 'pending', ...pageQuery(cursor) } } })),
    [workspace.id, props.version],
  );
  const action = useAction();
  if (list.rows.length === 0 && !list.hasPrevious && list.error === undefined && action.notice === undefined) return null;
  return (
    <ListSection
      id="group-sent"
      title={text.sent}
      list={list}
      action={action}
      headers={[text.workspaceId, text.sentAt, text.expires, ...(canManage ? [shared.actions] : [])]}
      row={(invitation) => (
        <tr key={invitation.id}>
          <td>{invitation.sub_workspace_id}</td>
          <td>{formatDate(invitation.created_at)}</td>
          <td>{formatDate(invitation.expires_at)}</td>
          {canManage && (
            <td>
              <RowButton
                label={text.cancelInvitation}
                target={text.toWorkspace(invitation.sub_workspace_id)}
                action={action}
                list={list}
                work={() => call(api.DELETE('/api/v1/workspace-group-invitations/{id}', { params: { path: { id: String(invitation.id) } } }))}
                done={text.cancelled}
              />
            </td>
          )}
        </tr>
      )}
    />
  );
}

/** Invitations this workspace received: its owner accepts (it becomes a sub workspace) or declines. */
function ReceivedInvitations(props: { onAccepted: () => void }) {
  const text = groupText();
  const shared = common();
  const { workspace, permissions } = useWorkspace();
  const canAnswer = permissions.has('groups:join') && workspace.is_owner;
  const list = usePaged(
    async (cursor) =>
      call(api.GET('/api/v1/workspace-group-invitations', { params: { query: { direction: 'received', status: 'pending', ...pageQuery(cursor) } } })),
    [workspace.id],
  );
  const action = useAction();
  return (
    <ListSection
      id="group-received"
      title={text.received}
      list={list}
      action={action}
      headers={[text.invitedBy, text.workspaceId, text.expires, ...(canAnswer ? [shared.actions] : [])]}
      row={(invitation) => {
        const answer = (how: 'accept' | 'decline') => async () => {
          const path = { id: String(invitation.id) };
          if (how === 'accept') {
            await call(api.POST('/api/v1/workspace-group-invitations/{id}/accept', { params: { path } }));
            props.onAccepted();
          } else await call(api.POST('/api/v1/workspace-group-invitations/{id}/decline', { params: { path } }));
        };
        const from = text.invitationFrom(invitation.admin_workspace_name);
        return (
          <tr key={invitation.id}>
            <WorkspaceCells name={invitation.admin_workspace_name} id={invitation.admin_workspace_id} />
            <td>{formatDate(invitation.expires_at)}</td>
            {canAnswer && (
              <td>
                <div class="actions">
                  <RowButton
                    class="primary"
                    label={text.accept}
                    target={from}
                    action={action}
                    list={list}
                    work={answer('accept')}
                    done={text.accepted(invitation.admin_workspace_name)}
                  />
                  <RowButton label={text.decline} target={from} action={action} list={list} work={answer('decline')} done={text.declined} />
                </div>
              </td>
            )}
          </tr>
        );
      }}
    >
      {!canAnswer && list.rows.length > 0 && <p class="hint">{text.ownerOnlyAnswers}</p>}
    </ListSection>
  );
}
