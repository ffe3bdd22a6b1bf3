import { useState } from 'preact/hooks';
import { api, call, type Schemas } from '../api.ts';
import { useSignedIn, useWorkspace } from '../context.ts';
import { common, defineText, formatDate } from '../i18n.ts';
import { ActionStatus, ConfirmButton, ErrorNotice, Field, Loading, Pager, Screen, SelectField, Table } from '../ui/components.tsx';
import { fieldErrors, useAction, useLoad, usePaged } from '../ui/hooks.ts';
import { OnceField } from '../ui/once-field.tsx';
import { explainedRefusal } from '../ui/permissions.ts';
import './invitations.css';

type Invitation = Schemas['Invitation'];
type Status = Invitation['status'];
type Issued = Schemas['IssuedInvitation'];

const STATUSES: readonly Status[] = ['pending', 'accepted', 'declined', 'revoked', 'expired'];

export const invitationsText = defineText(
  {
    title: 'Invitations',
    list: 'Invitations sent',
    invite: 'Invite someone',
    send: 'Send the invitation',
    sent: (email: string) => `Invitation sent to ${email}.`,
    resent: (email: string) => `Invitation sent again to ${email}. The earlier link no longer works.`,
    revoked: (email: string) => `The invitation to ${email} was revoked.`,
    resend: 'Send again',
    revoke: 'Revoke',
    expires: 'Expires',
    sentOn: 'Sent',
    answered: 'Answered',
    filter: 'Show',
    allStatuses: 'All invitations',
    cannotInvite: 'Your role lets you see the invitations, not send them.',
    outboxHeading: 'Share the link yourself',
    outbox: (email: string) =>
      `No mail server is configured here: the e-mail to ${email} waits in the outbox for the operator. Send this link to ${email} yourself; it works once, for that address only.`,
    linkFor: (email: string) => `Invitation link for ${email}`,
  },
  {
    title: 'Invitaciones',
    list: 'Invitaciones enviadas',
    invite: 'Invitar a alguien',
    send: 'Enviar la invitación',
    sent: (email: string) => `Invitación enviada a ${email}.`,
    resent: (email: string) => `Invitación enviada de nuevo a ${email}. El enlace anterior ya no funciona.`,
    revoked: (email: string) => `Se revocó la invitación a ${email}.`,
    resend: 'Enviar de nuevo',
    revoke: 'Revocar',
    expires: 'Vence',
    sentOn: 'Enviada',
    answered: 'Respondida',
    filter: 'Mostrar',
    allStatuses: 'Todas las invitaciones',
    cannotInvite: 'Tu rol te deja ver las invitaciones, no enviarlas.',
    outboxHeading: 'Comparte el enlace tú mismo',
    outbox: (email: string) =>
      `Aquí no hay un servidor de correo configurado: el correo para ${email} espera en la bandeja de salida del operador. Envía tú este enlace a ${email}; sirve una vez y solo para esa dirección.`,
    linkFor: (email: string) => `Enlace de invitación para ${email}`,
  },
);

const statusText = defineText<Record<Status, string>>(
  { pending: 'Pending', accepted: 'Accepted', declined: 'Declined', revoked: 'Revoked', expired: 'Expired' },
  { pending: 'Pendiente', accepted: 'Aceptada', declined: 'Rechazada', revoked: 'Revocada', expired: 'Vencida' },
);

/** The link an invitation e-mail carries (invitations.service.ts), for an inviter whose server sends no e-mail. */
const acceptLinkOf = (tenant: string, token: string) =>
  `${location.origin}/console/t/${encodeURIComponent(tenant)}/invitations/accept#token=${encodeURIComponent(token)}`;

/** The workspace's invitations: send one (a role the inviter may give), see what became of each, send again or revoke. */
export function InvitationsScreen() {
  const text = invitationsText();
  const statuses = statusText();
  const shared = common();
  const { me } = useSignedIn();
  const { workspace, permissions } = useWorkspace();
  const canCreate = permissions.has('invitations:create');
  const canRevoke = permissions.has('invitations:revoke');
  const [status, setStatus] = useState<Status | ''>('');
  const list = usePaged(
    async (cursor) => call(api.GET('/api/v1/invitations', { params: { query: { limit: 25, ...(status && { status }), ...(cursor && { cursor }) } } })),
    [workspace.id, status],
  );
  const roles = useLoad(async () => (canCreate ? (await call(api.GET('/api/v1/roles', { params: { query: { limit: 100 } } }))).data : []), [workspace.id, canCreate]);
  const action = useAction();
  const [issued, setIssued] = useState<Issued>();
  const [email, setEmail] = useState('');
  const [role, setRole] = useState('member');
  const errors = fieldErrors(action.error);
  const roleOptions = (roles.data ?? []).filter((role) => role.name !== 'owner').map((role) => ({ value: role.name, label: role.display_name }));
  const roleLabel = (name: string) => roles.data?.find((role) => role.name === name)?.display_name ?? name;

  /** After a send: the e-mail is on its way, or (no mail server) the link is shown to pass on. */
  const issue = async (send: () => Promise<{ data: Issued }>) => {
    setIssued(undefined);
    const { data } = await send();
    setIssued(data);
    list.reload();
  };

  return (
    <Screen title={text.title}>
      <ErrorNotice error={list.error ?? roles.error} />
      {canCreate ? (
        <>
          <h2>{text.invite}</h2>
          <form
            class="invite-form"
            onSubmit={(event) => {
              event.preventDefault();
              const sentTo = email;
              void action.run(async () => {
                // A role granting what the inviter lacks: the API names the permission, said in the message.
                await issue(() => explainedRefusal(call(api.POST('/api/v1/invitations', { body: { email: sentTo, role } }))));
                setEmail('');
              }, text.sent(sentTo));
            }}
          >
            <Field
              label={shared.email}
              name="email"
              type="email"
              autoComplete="off"
              required
              value={email}
              onInput={(event) => setEmail(event.currentTarget.value)}
              error={errors.email}
            />
            {roleOptions.length > 0 && (
              <SelectField label={shared.role} name="role" options={roleOptions} value={role} onChange={(event) => setRole(event.currentTarget.value)} error={errors.role} />
            )}
            <button type="submit" class="primary" disabled={action.busy || roles.loading}>
              {text.send}
            </button>
          </form>
        </>
      ) : (
        <p class="hint">{text.cannotInvite}</p>
      )}
      <ActionStatus action={action} />
      {issued?.delivery === 'outbox' && issued.token !== undefined && (
        <section class="notice share-link" aria-labelledby="share-link-title">
          <h2 id="share-link-title">{text.outboxHeading}</h2>
          <p id="share-link-notice">{text.outbox(issued.email)}</p>
          <OnceField label={text.linkFor(issued.email)} name="invitation-link" value={acceptLinkOf(me.tenant.slug, issued.token)} describedBy="share-link-notice" />
        </section>
      )}

      <h2>{text.list}</h2>
      <div class="invitation-filter">
        <SelectField
          label={text.filter}
          name="status"
          value={status}
          options={[{ value: '', label: text.allStatuses }, ...STATUSES.map((value) => ({ value, label: statuses[value] }))]}
          onChange={(event) => setStatus(event.currentTarget.value as Status | '')}
        />
      </div>
      <Loading when={list.loading} />
      <Table
        caption={text.list}
        headers={[shared.email, shared.role, shared.status, text.sentOn, text.expires, text.answered, shared.actions]}
        empty={!list.loading && list.rows.length === 0}
      >
        {list.rows.map((invitation) => {
          const pending = invitation.status === 'pending';
          return (
            <tr key={invitation.id}>
              <td>{invitation.email}</td>
              <td>{roleLabel(invitation.role)}</td>
              <td>
                <span class={`status status-${invitation.status}`}>{statuses[invitation.status]}</span>
              </td>
              <td>{formatDate(invitation.created_at)}</td>
              <td>{formatDate(invitation.expires_at)}</td>
              <td>{formatDate(invitation.responded_at)}</td>
              <td>
                <div class="actions">
                  {pending && canCreate && (
                    <button
                      type="button"
                      disabled={action.busy}
                      onClick={() =>
                        void action.run(
                          () => issue(() => call(api.POST('/api/v1/invitations/{id}/resend', { params: { path: { id: String(invitation.id) } } }))),
                          text.resent(invitation.email),
                        )
                      }
                    >
                      {text.resend}
                    </button>
                  )}
                  {pending && canRevoke && (
                    <ConfirmButton
                      label={text.revoke}
                      disabled={action.busy}
                      onConfirm={() =>
                        void action.run(async () => {
                          setIssued(undefined);
                          await call(api.DELETE('/api/v1/invitations/{id}', { params: { path: { id: String(invitation.id) } } }));
                          list.reload();
                        }, text.revoked(invitation.email))
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
