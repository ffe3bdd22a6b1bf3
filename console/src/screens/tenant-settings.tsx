import './tenant.css';
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { api, call, type Schemas } from '../api.ts';
import { common, defineText } from '../i18n.ts';
import { CheckboxField } from '../ui/checkbox-field.tsx';
import { ActionStatus, ConfirmButton, ErrorNotice, Field, Loading, Screen, SelectField } from '../ui/components.tsx';
import { fieldErrors, formValues, useAction, useLoad, type Action } from '../ui/hooks.ts';
import { useTenantRoles } from './tenant.ts';

type Tenant = Schemas['Tenant'];
type AccountPolicy = Schemas['AccountPolicy'];
type Locale = Tenant['default_locale'];
type EmailVerification = AccountPolicy['email_verification'];

export const tenantSettingsText = defineText(
  {
    title: 'Tenant settings',
    intro: (slug: string) => `Settings and policies of the tenant “${slug}”. Every change is recorded in the tenant audit log.`,
    readOnly: 'Only tenant owners and admins change these.',
    general: 'General',
    defaultLocale: 'Default language',
    defaultLocaleHint: 'Of messages and e-mails when the reader’s language is not known.',
    selfSignup: 'Anyone may create an account (self sign-up)',
    selfSignupHint: 'When off, only invited people and workspace invite codes create accounts.',
    maxOwned: 'Workspaces a user may own',
    maxOwnedHint: 'Empty: no limit. 1 gives each user one workspace of their own.',
    saved: 'Tenant settings saved.',
    nothingChanged: 'Nothing was changed.',
    portal: 'Portal access code',
    portalIntro: 'When set, every /web/v1 request must send it in the X-PORTAL-ACCESS-CODE header.',
    portalSet: 'A code is set. It is stored only as a digest and cannot be shown.',
    portalNotSet: 'No code is set: /web/v1 needs none.',
    newCode: 'New code',
    newCodeHint: '8 to 128 printable characters, no spaces.',
    setCode: 'Set the code',
    removeCode: 'Remove the code',
    codeSet: 'The portal access code is set.',
    codeRemoved: 'The portal access code is removed.',
    policy: 'Account policy',
    emailVerification: 'Proving an e-mail address',
    verificationOptional: 'Optional',
    verificationBeforeJoining: 'Before joining workspaces',
    verificationBeforeSignIn: 'Before signing in',
    mfaRequired: 'Owners and admins must use a second factor',
    mfaRequiredHint: 'Turning this on ends the sessions of owners and admins who have none, yours included; they set one up when they next sign in.',
    policySaved: 'Account policy saved.',
  },
  {
    title: 'Configuración del inquilino',
    intro: (slug: string) => `Configuración y políticas del inquilino «${slug}». Cada cambio queda en el registro de auditoría del inquilino.`,
    readOnly: 'Solo los propietarios y administradores del inquilino cambian esto.',
    general: 'General',
    defaultLocale: 'Idioma predeterminado',
    defaultLocaleHint: 'De los mensajes y correos cuando no se conoce el idioma de quien lee.',
    selfSignup: 'Cualquiera puede crear una cuenta (registro abierto)',
    selfSignupHint: 'Desactivado, solo crean cuenta las personas invitadas y los códigos de invitación de sucursal.',
    maxOwned: 'Sucursales que un usuario puede poseer',
    maxOwnedHint: 'Vacío: sin límite. 1 da a cada usuario una sucursal propia.',
    saved: 'Configuración del inquilino guardada.',
    nothingChanged: 'No se cambió nada.',
    portal: 'Código de acceso al portal',
    portalIntro: 'Si hay uno, cada petición a /web/v1 debe enviarlo en la cabecera X-PORTAL-ACCESS-CODE.',
    portalSet: 'Hay un código. Solo se guarda su resumen y no se puede mostrar.',
    portalNotSet: 'No hay código: /web/v1 no pide ninguno.',
    newCode: 'Código nuevo',
    newCodeHint: 'De 8 a 128 caracteres imprimibles, sin espacios.',
    setCode: 'Poner el código',
    removeCode: 'Quitar el código',
    codeSet: 'El código de acceso al portal está puesto.',
    codeRemoved: 'El código de acceso al portal se quitó.',
    policy: 'Política de cuentas',
    emailVerification: 'Comprobar el correo',
    verificationOptional: 'Opcional',
    verificationBeforeJoining: 'Antes de unirse a sucursales',
    verificationBeforeSignIn: 'Antes de iniciar sesión',
    mfaRequired: 'Propietarios y administradores deben usar un segundo factor',
    mfaRequiredHint: 'Al activarlo terminan las sesiones de propietarios y administradores que no lo tienen, la tuya incluida; lo configuran al volver a iniciar sesión.',
    policySaved: 'Política de cuentas guardada.',
  },
);

/** The tenant's settings (GET/PATCH /tenant) and its account policy (GET/PATCH /tenant/account-policy). */
export function TenantSettingsScreen() {
  const text = tenantSettingsText();
  const { roles, held } = useTenantRoles();
  const tenant = useLoad(async () => (await call(api.GET('/api/v1/tenant'))).data, []);
  const policy = useLoad(async () => (await call(api.GET('/api/v1/tenant/account-policy'))).data, []);
  const error = tenant.error ?? policy.error ?? roles.error;
  const canEdit = held.has('tenant:edit');
  return (
    <Screen title={text.title}>
      <ErrorNotice error={error} />
      <Loading when={tenant.loading || policy.loading} />
      {!error && tenant.data && policy.data && roles.data && (
        <>
          <p class="hint">{text.intro(tenant.data.slug)}</p>
          {!canEdit && <p class="hint">{text.readOnly}</p>}
          <GeneralSettings tenant={tenant.data} canEdit={canEdit} onSaved={tenant.reload} />
          <PortalCode tenant={tenant.data} canEdit={canEdit} onSaved={tenant.reload} />
          <Policy policy={policy.data} canEdit={canEdit} onSaved={policy.reload} />
        </>
      )}
    </Screen>
  );
}

interface SectionProps {
  canEdit: boolean;
  onSaved: () => void;
}

function Section(props: { id: string; title: string; children: ComponentChildren }) {
  return (
    <section class="tenant-section" aria-labelledby={props.id}>
      <h2 id={props.id}>{props.title}</h2>
      {props.children}
    </section>
  );
}

/** Sends only what changed, then reloads; with nothing changed, says so instead of asking the API. */
function saveChanges<T extends object>(action: Action, changes: T, send: (changes: T) => Promise<unknown>, onSaved: () => void, notice: string): void {
  if (Object.keys(changes).length === 0) {
    void action.run(async () => undefined, tenantSettingsText().nothingChanged);
    return;
  }
  void action.run(async () => {
    await send(changes);
    onSaved();
  }, notice);
}

function GeneralSettings(props: SectionProps & { tenant: Tenant }) {
  const text = tenantSettingsText();
  const shared = common();
  const { tenant } = props;
  const action = useAction();
  const errors = fieldErrors(action.error);
  const [locale, setLocale] = useState<Locale>(tenant.default_locale);
  return (
    <Section id="tenant-general" title={text.general}>
      <form
        onSubmit={(event) => {
          const values = formValues(event);
          const max = values.max_owned_workspaces_per_user?.trim() ?? '';
          const changes = {
            ...(values.name !== undefined && values.name.trim() !== tenant.name && { name: values.name }),
            ...(locale !== tenant.default_locale && { default_locale: locale }),
            ...((values.self_signup === 'on') !== tenant.self_signup && { self_signup: values.self_signup === 'on' }),
            ...((max === '' ? null : Number(max)) !== tenant.max_owned_workspaces_per_user && { max_owned_workspaces_per_user: max === '' ? null : Number(max) }),
          };
          saveChanges(action, changes, (body) => call(api.PATCH('/api/v1/tenant', { body })), props.onSaved, text.saved);
        }}
      >
        <fieldset class="plain" disabled={!props.canEdit || action.busy}>
          <legend class="visually-hidden">{text.general}</legend>
          <Field label={shared.name} name="name" defaultValue={tenant.name} required maxLength={100} error={errors.name} />
          <SelectField
            label={text.defaultLocale}
            name="default_locale"
            value={locale}
            onChange={(event) => setLocale(event.currentTarget.value as Locale)}
            aria-describedby="tenant-locale-hint"
            options={[
              { value: 'en', label: 'English' },
              { value: 'es', label: 'Español' },
            ]}
            error={errors.default_locale}
          />
          <small id="tenant-locale-hint" class="hint">
            {text.defaultLocaleHint}
          </small>
          <CheckboxField label={text.selfSignup} name="self_signup" defaultChecked={tenant.self_signup} hint={text.selfSignupHint} />
          <Field
            label={text.maxOwned}
            name="max_owned_workspaces_per_user"
            type="number"
            min={1}
            max={100000}
            step={1}
            defaultValue={tenant.max_owned_workspaces_per_user === null ? '' : String(tenant.max_owned_workspaces_per_user)}
            hint={text.maxOwnedHint}
            error={errors.max_owned_workspaces_per_user}
          />
        </fieldset>
        <ActionStatus action={action} />
        <button type="submit" class="primary" disabled={!props.canEdit || action.busy}>
          {shared.save}
        </button>
      </form>
    </Section>
  );
}

function PortalCode(props: SectionProps & { tenant: Tenant }) {
  const text = tenantSettingsText();
  const action = useAction();
  const errors = fieldErrors(action.error);
  const save = (code: string | null, notice: string, form?: HTMLFormElement) =>
    void action.run(async () => {
      await call(api.PATCH('/api/v1/tenant', { body: { portal_access_code: code } }));
      form?.reset();
      props.onSaved();
    }, notice);
  return (
    <Section id="tenant-portal" title={text.portal}>
      <p class="hint">{text.portalIntro}</p>
      <p>{props.tenant.portal_access_code_set ? text.portalSet : text.portalNotSet}</p>
      <form
        onSubmit={(event) => {
          const form = event.currentTarget;
          save(formValues(event).portal_access_code ?? '', text.codeSet, form);
        }}
      >
        <Field
          label={text.newCode}
          name="portal_access_code"
          required
          minLength={8}
          maxLength={128}
          pattern="[!-~]+"
          autoComplete="off"
          spellcheck={false}
          hint={text.newCodeHint}
          error={errors.portal_access_code}
          disabled={!props.canEdit || action.busy}
        />
        <ActionStatus action={action} />
        <div class="actions">
          <button type="submit" class="primary" disabled={!props.canEdit || action.busy}>
            {text.setCode}
          </button>
          <ConfirmButton label={text.removeCode} disabled={!props.canEdit || action.busy || !props.tenant.portal_access_code_set} onConfirm={() => save(null, text.codeRemoved)} />
        </div>
      </form>
    </Section>
  );
}

function Policy(props: SectionProps & { policy: AccountPolicy }) {
  const text = tenantSettingsText();
  const shared = common();
  const { policy } = props;
  const action = useAction();
  const errors = fieldErrors(action.error);
  const [verification, setVerification] = useState<EmailVerification>(policy.email_verification);
  return (
    <Section id="tenant-policy" title={text.policy}>
      <form
        onSubmit={(event) => {
          const mfa = formValues(event).mfa_required_for_admins === 'on';
          const changes = {
            ...(verification !== policy.email_verification && { email_verification: verification }),
            ...(mfa !== policy.mfa_required_for_admins && { mfa_required_for_admins: mfa }),
          };
          saveChanges(action, changes, (body) => call(api.PATCH('/api/v1/tenant/account-policy', { body })), props.onSaved, text.policySaved);
        }}
      >
        <fieldset class="plain" disabled={!props.canEdit || action.busy}>
          <legend class="visually-hidden">{text.policy}</legend>
          <SelectField
            label={text.emailVerification}
            name="email_verification"
            value={verification}
            onChange={(event) => setVerification(event.currentTarget.value as EmailVerification)}
            options={[
              { value: 'optional', label: text.verificationOptional },
              { value: 'before_joining', label: text.verificationBeforeJoining },
              { value: 'before_sign_in', label: text.verificationBeforeSignIn },
            ]}
            error={errors.email_verification}
          />
          <CheckboxField label={text.mfaRequired} name="mfa_required_for_admins" defaultChecked={policy.mfa_required_for_admins} hint={text.mfaRequiredHint} />
        </fieldset>
        <ActionStatus action={action} />
        <button type="submit" class="primary" disabled={!props.canEdit || action.busy}>
          {shared.save}
        </button>
      </form>
    </Section>
  );
}
