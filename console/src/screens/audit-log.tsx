import './audit-log.css';
import { api, call, type Schemas } from '../api.ts';
import { useWorkspace } from '../context.ts';
import { defineText, formatDate } from '../i18n.ts';
import { navigate, useLocation } from '../router.ts';
import { ErrorNotice, Field, Loading, Pager, Screen, Table } from '../ui/components.tsx';
import { formValues, usePaged } from '../ui/hooks.ts';

type AuditEvent = Schemas['AuditEvent'];

export const auditText = defineText(
  {
    title: 'Audit log',
    tenantTitle: 'Tenant audit log',
    intro: 'Who changed what, newest first.',
    tenantIntro: "Changes to the tenant's settings and policies, its users' tenant roles, and accounts (passwords, addresses, sessions, second factors), newest first.",
    filters: 'Filter the log',
    action: 'Action',
    actionHint: 'One action, such as member.role_changed, or an area ending in a dot, such as member.',
    actor: 'Done by (e-mail)',
    from: 'From (day)',
    to: 'To (day, included)',
    apply: 'Apply filters',
    clear: 'Clear filters',
    filtered: (count: number) => (count === 1 ? 'One filter applied.' : `${count} filters applied.`),
    events: 'Events',
    time: 'Time',
    who: 'Done by',
    target: 'About',
    details: 'Details',
    apiKey: (id: number) => `API key #${id}`,
    user: (id: number) => `User #${id}`,
    operator: 'The operator (command line)',
    nobody: 'No one signed in',
    actingAs: (sub: number | null, admin: number | null) => `acting as sub workspace #${sub ?? '?'} from admin workspace #${admin ?? '?'}`,
  },
  {
    title: 'Registro de auditoría',
    tenantTitle: 'Registro de auditoría del inquilino',
    intro: 'Quién cambió qué, lo más reciente primero.',
    tenantIntro: 'Cambios en la configuración y las políticas del inquilino, en los roles de sus usuarios y en las cuentas (contraseñas, correos, sesiones, segundos factores), lo más reciente primero.',
    filters: 'Filtrar el registro',
    action: 'Acción',
    actionHint: 'Una acción, como member.role_changed, o un área terminada en punto, como member.',
    actor: 'Hecho por (correo)',
    from: 'Desde (día)',
    to: 'Hasta (día, incluido)',
    apply: 'Aplicar filtros',
    clear: 'Quitar filtros',
    filtered: (count: number) => (count === 1 ? 'Un filtro aplicado.' : `${count} filtros aplicados.`),
    events: 'Eventos',
    time: 'Fecha',
    who: 'Hecho por',
    target: 'Sobre',
    details: 'Detalles',
    apiKey: (id: number) => `Clave de API n.º ${id}`,
    user: (id: number) => `Usuario n.º ${id}`,
    operator: 'El operador (línea de comandos)',
    nobody: 'Nadie con sesión iniciada',
    actingAs: (sub: number | null, admin: number | null) => `actuando como la sucursal subordinada n.º ${sub ?? '?'} desde la sucursal administradora n.º ${admin ?? '?'}`,
  },
);

/** The filters as the address keeps them (`?action=&actor=&from=&to=`), so a filtered view can be reloaded or shared. */
const FILTERS = ['action', 'actor', 'from', 'to'] as const;
type Filters = Record<(typeof FILTERS)[number], string>;

const filtersOf = (query: URLSearchParams): Filters =>
  Object.fromEntries(FILTERS.map((name) => [name, query.get(name)?.trim() ?? ''])) as Filters;

/** A day of the form (`2025-03-01`) as the instant it starts where the browser is, `days` later. */
function dayStart(day: string, days = 0): string | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return undefined;
  const start = new Date(`${day}T00:00:00`);
  if (Number.isNaN(start.getTime())) return undefined;
  start.setDate(start.getDate() + days);
  return start.toISOString();
}

/** The API's query for the filters: the days become instants, the last day included. */
function apiQuery(filters: Filters) {
  const since = dayStart(filters.from);
  const until = dayStart(filters.to, 1);
  return {
    ...(filters.action && { action: filters.action }),
    ...(filters.actor && { actor_email: filters.actor }),
    ...(since && { since }),
    ...(until && { until }),
  };
}

export function WorkspaceAuditScreen() {
  const { workspace } = useWorkspace();
  const text = auditText();
  return <AuditLog title={text.title} intro={text.intro} scope={{ workspaceId: workspace.id }} />;
}

export function TenantAuditScreen() {
  const text = auditText();
  return <AuditLog title={text.tenantTitle} intro={text.tenantIntro} scope="tenant" />;
}

/** A log, newest first, narrowed by the filters the address holds. */
function AuditLog(props: { title: string; intro: string; scope: 'tenant' | { workspaceId: number } }) {
  const text = auditText();
  const { path, query } = useLocation();
  const filters = filtersOf(query);
  const filterKey = JSON.stringify(filters);
  const applied = FILTERS.filter((name) => filters[name] !== '').length;
  const list = usePaged(async (cursor) => {
    const params = { query: { limit: 25, ...apiQuery(filters), ...(cursor && { cursor }) } };
    return props.scope === 'tenant' ? call(api.GET('/api/v1/tenant/audit-events', { params })) : call(api.GET('/api/v1/audit-events', { params }));
  }, [props.scope === 'tenant' ? 'tenant' : props.scope.workspaceId, filterKey]);
  // What to suggest in the action field: the actions in view, and their areas.
  const suggestions = [...new Set(list.rows.flatMap((event) => [event.action, `${event.action.split('.')[0] ?? ''}.`]))].sort();

  const apply = (values: Record<string, string>) => {
    const next = new URLSearchParams();
    for (const name of FILTERS) {
      const value = values[name]?.trim();
      if (value) next.set(name, value);
    }
    const search = next.toString();
    navigate(search ? `${path}?${search}` : path);
  };

  return (
    <Screen title={props.title}>
      <p class="hint">{props.intro}</p>
      <form key={filterKey} class="audit-filters" role="search" aria-label={text.filters} onSubmit={(event) => apply(formValues(event))}>
        <Field label={text.action} name="action" defaultValue={filters.action} list="audit-actions" maxLength={100} autoComplete="off" hint={text.actionHint} />
        <datalist id="audit-actions">
          {suggestions.map((action) => (
            <option key={action} value={action} />
          ))}
        </datalist>
        <Field label={text.actor} name="actor" type="email" defaultValue={filters.actor} maxLength={254} />
        <Field label={text.from} name="from" type="date" defaultValue={filters.from} />
        <Field label={text.to} name="to" type="date" defaultValue={filters.to} />
        <div class="actions audit-filter-actions">
          <button type="submit" class="primary">
            {text.apply}
          </button>
          <button type="button" disabled={applied === 0} onClick={() => navigate(path)}>
            {text.clear}
          </button>
        </div>
      </form>
      {applied > 0 && (
        <p class="hint" role="status">
          {text.filtered(applied)}
        </p>
      )}
      <ErrorNotice error={list.error} />
      <Loading when={list.loading} />
      {!list.error && (
        <Table caption={text.events} headers={[text.time, text.who, text.action, text.target, text.details]} empty={!list.loading && list.rows.length === 0}>
          {list.rows.map((event) => (
            <tr key={event.id}>
              <td class="audit-time">
                <time dateTime={event.created_at}>{formatDate(event.created_at)}</time>
              </td>
              <td>
                <Actor event={event} />
              </td>
              <td>
                <code>{event.action}</code>
                {event.acting_as && <small class="audit-sub">{text.actingAs(event.acting_as_workspace_id, event.admin_workspace_id)}</small>}
              </td>
              <td>
                {event.target_user ? (
                  <Person name={event.target_user.name} email={event.target_user.email} />
                ) : (
                  <span>
                    {event.target_type}
                    {event.target_id !== null && ` #${event.target_id}`}
                  </span>
                )}
              </td>
              <td>
                <Details details={event.details} />
              </td>
            </tr>
          ))}
        </Table>
      )}
      <Pager list={list} />
    </Screen>
  );
}

function Person(props: { name: string; email: string }) {
  return (
    <span class="audit-person">
      <span>{props.name}</span>
      <small>{props.email}</small>
    </span>
  );
}

function Actor(props: { event: AuditEvent }) {
  const text = auditText();
  const { event } = props;
  const key = event.actor_api_key_id !== null && <small>{text.apiKey(event.actor_api_key_id)}</small>;
  if (event.actor) {
    return (
      <span class="audit-person">
        <span>{event.actor.name}</span>
        <small>{event.actor.email}</small>
        {key}
      </span>
    );
  }
  if (key) return key;
  // Someone this log does not name (no longer a member, or of another workspace): their number.
  if (event.actor_user_id !== null) return <span>{text.user(event.actor_user_id)}</span>;
  return <span>{event.details.via === 'operator' ? text.operator : text.nobody}</span>;
}

/** The event's details as name and value; how the request reached the workspace (`via`) only when it says something. */
function Details(props: { details: Record<string, unknown> }) {
  const entries = Object.entries(props.details).filter(([, value]) => value !== null && value !== undefined);
  if (entries.length === 0) return <span>—</span>;
  return (
    <dl class="audit-details">
      {entries.map(([name, value]) => (
        <div key={name}>
          <dt>{name}:</dt>
          <dd>{typeof value === 'string' ? value : JSON.stringify(value)}</dd>
        </div>
      ))}
    </dl>
  );
}
