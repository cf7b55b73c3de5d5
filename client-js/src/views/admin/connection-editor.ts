// Settings → Connections → one connection: its definition (parameters per protocol
// with help text; secrets are write-only) and, once saved, its sharing profiles —
// list, "New Sharing Profile", edit, delete and clone.

import {
  ApiError,
  cloneProfile,
  createConnection,
  createProfile,
  deleteConnection,
  deleteProfile,
  errorText,
  getConnection,
  listProfiles,
  updateConnection,
  updateProfile,
  type Backend,
  type ConnectionDetail,
  type ConnectionInput,
  type SharingProfile,
} from '../../api';
import { h, icon, uid } from '../../dom';
import { plural } from '../../format';
import { PROTOCOL_FORMS, builtinBackendServes, formFor, isSecretName, knownNames, type Field } from '../../protocols';
import { hrefFor } from '../../router';
import { button, confirmDialog, openDialog } from '../../ui';
import { settingsPage, statusLine } from '../chrome';
import type { AppContext, View } from '../view';

interface FieldControl {
  field: Field;
  read(): string | undefined; // undefined: leave out (keep a stored secret)
}

/** A label + control + help block; returns the wrapper. */
function fieldBlock(label: string, control: HTMLElement, help?: string | null, extra?: Node | null): HTMLElement {
  const id = control.id || uid('field');
  control.id = id;
  let helpEl: HTMLElement | null = null;
  if (help) {
    helpEl = h('p', { class: 'help', id: `${id}-help` }, help);
    control.setAttribute('aria-describedby', helpEl.id);
  }
  if (control instanceof HTMLInputElement && control.type === 'checkbox') {
    return h('div', { class: 'field checkbox' }, h('div', { class: 'checkbox-row' }, control, h('label', { for: id }, label)), helpEl, extra ?? null);
  }
  return h('div', { class: 'field' }, h('label', { for: id }, label), control, helpEl, extra ?? null);
}

function kvEditor(initial: Record<string, string>, label: string): { element: HTMLElement; read(): Record<string, string> } {
  const rows = h('div', { class: 'kv-rows' });
  const add = (k = '', v = '') => {
    const key = h('input', { type: 'text', 'aria-label': 'Parameter name', placeholder: 'name', value: k, spellcheck: 'false' });
    const value = h('input', { type: 'text', 'aria-label': 'Value', placeholder: 'value', value: v, spellcheck: 'false' });
    key.value = k;
    value.value = v;
    const remove = h('button', { type: 'button', class: 'icon-button', 'aria-label': 'Remove parameter' }, icon('close'));
    const row = h('div', { class: 'kv-row' }, key, value, remove);
    remove.addEventListener('click', () => {
      row.remove();
      addButton.focus();
    });
    rows.append(row);
    return key;
  };
  for (const [k, v] of Object.entries(initial)) add(k, v);
  const addButton = button([icon('plus'), 'Add parameter'], () => add().focus(), { small: true, kind: 'ghost' });
  return {
    element: h('div', { class: 'kv', role: 'group', 'aria-label': label }, rows, addButton),
    read() {
      const out: Record<string, string> = {};
      for (const row of rows.querySelectorAll('.kv-row')) {
        const [k, v] = [...row.querySelectorAll('input')].map((i) => i.value);
        // guacd treats an empty value as "not set": leave those out.
        if (k.trim() && v !== '') out[k.trim()] = v;
      }
      return out;
    },
  };
}

export function connectionEditorView(ctx: AppContext, connectionId: string | null): View {
  const session = ctx.session();
  const token = session?.token ?? '';
  const isNew = connectionId === null;
  const status = statusLine();
  const heading = h('h1', {}, isNew ? 'New connection' : 'Edit connection');
  const formHost = h('div', {});
  const profilesHost = h('section', { class: 'panel', 'aria-labelledby': 'profiles-title' });
  let alive = true;
  let detail: ConnectionDetail | null = null;

  // ------------------------------------------------------------ the connection form
  function buildForm(d: ConnectionDetail | null): void {
    const name = h('input', { type: 'text', required: true, maxlength: '128', autocomplete: 'off', value: d?.name ?? '' });
    name.value = d?.name ?? '';
    const protocol = h(
      'select',
      { required: true },
      ...PROTOCOL_FORMS.map((f) => h('option', { value: f.protocol, selected: (d?.protocol ?? 'rdp') === f.protocol }, f.label)),
    );
    if (d && !formFor(d.protocol)) protocol.append(h('option', { value: d.protocol, selected: true }, d.protocol));
    protocol.value = d?.protocol ?? 'rdp';

    const guacdCustom = h('input', { type: 'checkbox', checked: !!d?.guacd });
    guacdCustom.checked = !!d?.guacd;
    const guacdHost = h('input', { type: 'text', placeholder: 'guacd.internal', value: d?.guacd?.host ?? '' });
    guacdHost.value = d?.guacd?.host ?? '';
    const guacdPort = h('input', { type: 'number', min: '1', max: '65535', placeholder: '4822', value: String(d?.guacd?.port ?? '') });
    guacdPort.value = d?.guacd ? String(d.guacd.port) : '';
    const guacdTls = h('input', { type: 'checkbox', checked: !!d?.guacd?.tls });
    guacdTls.checked = !!d?.guacd?.tls;
    const guacdFields = h(
      'div',
      { class: 'grid-2', hidden: !d?.guacd },
      fieldBlock('guacd host', guacdHost),
      fieldBlock('guacd port', guacdPort),
      fieldBlock('Connect to guacd over TLS', guacdTls),
    );
    guacdCustom.addEventListener('change', () => {
      guacdFields.hidden = !guacdCustom.checked;
    });
    const guacdCustomBlock = fieldBlock('Use a specific guacd for this connection', guacdCustom, 'Otherwise the gateway’s default guacd is used.');

    // The back end (VNC only): guacd, or Porthole's own VNC client.
    const backendGroup = uid('backend');
    const backendRadio = (value: Backend, title: string, help: string): { row: HTMLElement; input: HTMLInputElement } => {
      const input = h('input', { type: 'radio', name: backendGroup, value, id: uid(`backend-${value}`) });
      const helpEl = h('span', { class: 'muted small', id: `${input.id}-help` }, help);
      input.setAttribute('aria-describedby', helpEl.id);
      // The help sits beside the label (not in it), so the choice's name stays short.
      return { input, row: h('div', { class: 'radio-row' }, input, h('div', { class: 'radio-text' }, h('label', { for: input.id }, h('strong', {}, title)), helpEl)) };
    };
    const viaGuacd = backendRadio('guacd', 'guacd', 'Apache Guacamole’s guacd daemon connects to the VNC server; every other VNC setting below is available.');
    const viaBuiltin = backendRadio(
      'builtin',
      'Built into Porthole (no guacd)',
      'Porthole connects to the VNC server itself: no guacd to run, and each screen update is encoded once for everyone watching. Host, port and password only.',
    );
    viaBuiltin.input.checked = d?.backend === 'builtin';
    viaGuacd.input.checked = !viaBuiltin.input.checked;
    const backendFieldset = h(
      'fieldset',
      { class: 'radio-group backend-choice' },
      h('legend', {}, 'Back end'),
      viaGuacd.row,
      viaBuiltin.row,
    );
    /** The back end that will be saved: builtin only where it can serve the protocol. */
    const backend = (): Backend => (viaBuiltin.input.checked && builtinBackendServes(protocol.value) ? 'builtin' : 'guacd');
    let shownBackend = backend();
    /** Shows the back-end choice for VNC only, and the guacd fields for guacd only. */
    function syncBackend(): void {
      backendFieldset.hidden = !builtinBackendServes(protocol.value);
      const builtin = backend() === 'builtin';
      guacdCustomBlock.hidden = builtin;
      guacdFields.hidden = builtin || !guacdCustom.checked;
    }

    // Current values survive a protocol switch, so nothing typed is lost.
    const values: Record<string, string> = { ...(d?.parameters ?? {}) };
    const secretsSet = new Set(d?.secret_parameters_set ?? []);
    const paramsHost = h('div', { class: 'param-sections' });
    let controls: FieldControl[] = [];
    let other = kvEditor({}, 'Other parameters');

    function renderParams(): void {
      // Keep what was typed before re-rendering.
      for (const c of controls) {
        const v = c.read();
        if (v === undefined) continue;
        if (v === '') delete values[c.field.name];
        else values[c.field.name] = v;
      }
      for (const [k, v] of Object.entries(other.read())) values[k] = v;
      controls = [];
      paramsHost.replaceChildren();
      shownBackend = backend();
      const form = formFor(protocol.value, shownBackend);
      const known = knownNames(protocol.value, shownBackend);
      for (const section of form?.sections ?? []) {
        const fs = h('fieldset', { class: 'param-section' }, h('legend', {}, section.title));
        const grid = h('div', { class: 'grid-2' });
        let used = false;
        for (const f of section.fields) {
          const { block, control } = paramField(f, values[f.name] ?? '', secretsSet.has(f.name));
          used ||= !!values[f.name] || secretsSet.has(f.name);
          controls.push(control);
          grid.append(block);
        }
        fs.append(grid);
        if (section.advanced) {
          // Folded unless something in it is set; the fields inside still count when saving.
          paramsHost.append(
            h(
              'details',
              { class: 'param-fold', open: used },
              h('summary', {}, section.title, h('span', { class: 'muted small' }, ` · ${section.fields.length} settings`)),
              fs,
            ),
          );
        } else {
          paramsHost.append(fs);
        }
      }
      const rest: Record<string, string> = {};
      for (const [k, v] of Object.entries(values)) if (v !== '' && !known.has(k) && !isSecretName(k)) rest[k] = v;
      if (shownBackend === 'builtin') {
        // Porthole's VNC client reads nothing else; guacd settings typed on this page
        // come back if guacd is chosen again, but are not saved with a built-in connection.
        other = kvEditor({}, 'Other parameters');
        return;
      }
      other = kvEditor(rest, 'Other parameters');
      paramsHost.append(
        h(
          'details',
          { class: 'param-fold', open: Object.keys(rest).length > 0 },
          h('summary', {}, 'Other parameters', Object.keys(rest).length ? h('span', { class: 'muted small' }, ` · ${Object.keys(rest).length} set`) : null),
          h(
            'fieldset',
            { class: 'param-section' },
            h('legend', { class: 'sr-only' }, 'Other parameters'),
            h('p', { class: 'help' }, 'Any other guacd parameter, by its exact name. Values are sent to guacd as they are.'),
            other.element,
          ),
        ),
      );
    }
    protocol.addEventListener('change', () => {
      syncBackend();
      renderParams();
    });
    for (const r of [viaGuacd.input, viaBuiltin.input]) {
      r.addEventListener('change', () => {
        syncBackend();
        if (backend() !== shownBackend) renderParams();
      });
    }
    syncBackend();
    renderParams();

    const error = h('p', { class: 'error-text', role: 'alert', hidden: true });
    const save = button(isNew ? 'Create connection' : 'Save changes', () => undefined, { kind: 'primary', type: 'submit' });
    const cancel = h('a', { class: 'button secondary', href: hrefFor({ name: 'admin-connections' }) }, 'Cancel');
    const del = isNew ? null : button('Delete connection', () => void remove(), { kind: 'danger', class: 'push-right' });

    const form = h(
      'form',
      { class: 'panel form', novalidate: true, 'aria-labelledby': heading.id || (heading.id = uid('heading')) },
      h(
        'fieldset',
        { class: 'param-section' },
        h('legend', {}, 'General'),
        h(
          'div',
          { class: 'grid-2' },
          fieldBlock('Name', name, 'What people see in their list of connections.'),
          fieldBlock('Protocol', protocol, 'How the gateway talks to the remote machine.'),
        ),
        backendFieldset,
        guacdCustomBlock,
        guacdFields,
      ),
      paramsHost,
      error,
      h('div', { class: 'form-actions' }, save, cancel, del),
    );

    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      error.hidden = true;
      if (!name.value.trim()) {
        error.textContent = 'Give the connection a name.';
        error.hidden = false;
        name.focus();
        return;
      }
      const parameters: Record<string, string> = {};
      for (const [k, v] of Object.entries(other.read())) parameters[k] = v;
      for (const c of controls) {
        const v = c.read();
        if (v === undefined) continue; // stored secret kept
        if (v === '' && !(isSecretName(c.field.name) && secretsSet.has(c.field.name))) continue;
        parameters[c.field.name] = v;
      }
      if (!parameters.hostname && formFor(protocol.value, backend())?.sections[0]?.fields[0]?.name === 'hostname') {
        error.textContent = 'Enter the host name or address of the remote machine.';
        error.hidden = false;
        return;
      }
      const body: ConnectionInput = { name: name.value.trim(), protocol: protocol.value, backend: backend(), parameters, guacd: null };
      if (body.backend === 'builtin' && parameters.port !== undefined) {
        const port = Number(parameters.port);
        if (!Number.isInteger(port) || port < 1 || port > 65535) {
          error.textContent = 'Enter a port between 1 and 65535, or leave it empty for 5900.';
          error.hidden = false;
          return;
        }
      }
      if (body.backend === 'guacd' && guacdCustom.checked) {
        const port = Number(guacdPort.value || '4822');
        if (!guacdHost.value.trim() || !Number.isInteger(port) || port < 1 || port > 65535) {
          error.textContent = 'Enter the guacd host and a port between 1 and 65535, or use the default guacd.';
          error.hidden = false;
          return;
        }
        body.guacd = { host: guacdHost.value.trim(), port, tls: guacdTls.checked };
      }
      save.disabled = true;
      try {
        const saved = isNew ? await createConnection(token, body) : await updateConnection(token, connectionId, body);
        if (!alive) return;
        if (isNew) {
          ctx.go({ name: 'admin-connection', connectionId: saved.id });
        } else {
          detail = saved;
          show(saved);
          status.element.replaceChildren(h('p', { class: 'notice', role: 'status' }, 'Changes saved.'));
        }
      } catch (e) {
        error.textContent = errorText(e, 'The connection could not be saved.');
        error.hidden = false;
      } finally {
        save.disabled = false;
      }
    });

    formHost.replaceChildren(form);
  }

  function paramField(f: Field, value: string, stored: boolean): { block: HTMLElement; control: FieldControl } {
    const secret = isSecretName(f.name);
    if (f.type === 'boolean') {
      const box = h('input', { type: 'checkbox', 'data-param': f.name });
      box.checked = value === 'true';
      return { block: fieldBlock(f.label, box, f.help), control: { field: f, read: () => (box.checked ? 'true' : '') } };
    }
    if (f.type === 'select') {
      const sel = h('select', { 'data-param': f.name }, ...(f.options ?? []).map(([v, l]) => h('option', { value: v }, l)));
      if (value && !(f.options ?? []).some(([v]) => v === value)) sel.append(h('option', { value }, value));
      sel.value = value;
      return { block: fieldBlock(f.label, sel, f.help), control: { field: f, read: () => sel.value } };
    }
    const input =
      f.type === 'textarea'
        ? h('textarea', { rows: '4', spellcheck: 'false', 'data-param': f.name, placeholder: f.placeholder })
        : h('input', {
            type: secret || f.type === 'password' ? 'password' : f.type === 'number' ? 'number' : 'text',
            autocomplete: secret ? 'new-password' : 'off',
            spellcheck: 'false',
            'data-param': f.name,
            placeholder: f.placeholder,
            min: f.type === 'number' ? '0' : null,
          });
    if (!secret) {
      input.value = value;
      return {
        block: fieldBlock(f.required ? `${f.label} (required)` : f.label, input, f.help),
        control: { field: f, read: () => input.value.trim() === '' ? '' : input.value },
      };
    }
    // Secrets are write-only: empty means "keep what is stored"; a box clears it.
    // (A value typed on this page survives a protocol switch.)
    input.value = value;
    let clear: HTMLInputElement | null = null;
    let extra: HTMLElement | null = null;
    if (stored) {
      input.setAttribute('placeholder', '•••••••• (stored — type to replace)');
      clear = h('input', { type: 'checkbox', id: uid('clear') });
      extra = h('div', { class: 'checkbox-row small' }, clear, h('label', { for: clear.id }, `Remove the stored ${f.label.toLowerCase()}`));
      clear.addEventListener('change', () => {
        input.disabled = !!clear?.checked;
      });
    }
    const label = h('span', {}, f.label, ' ', h('span', { class: 'tag tag-secret' }, 'secret'));
    const help = stored
      ? 'A value is stored, and never shown. Type a new one to replace it.'
      : (f.help ?? 'Stored on the gateway and never shown again.');
    const block = fieldBlock('', input, help, extra);
    const lab = block.querySelector('label');
    lab?.replaceChildren(label);
    return {
      block,
      control: {
        field: f,
        read: () => {
          if (clear?.checked) return '';
          if (input.value === '') return stored ? undefined : '';
          return input.value;
        },
      },
    };
  }

  async function remove(): Promise<void> {
    if (!detail) return;
    const ok = await confirmDialog({
      title: `Delete “${detail.name}”?`,
      message:
        detail.active_sessions > 0
          ? `Its ${plural(detail.active_sessions, 'live session')} will end at once. Its sharing profiles go too. This cannot be undone.`
          : 'Its sharing profiles go too. This cannot be undone.',
      confirm: 'Delete connection',
      danger: true,
    });
    if (!ok) return;
    try {
      await deleteConnection(token, detail.id);
      ctx.go({ name: 'admin-connections' });
    } catch (e) {
      status.error(errorText(e, 'The connection could not be deleted.'));
    }
  }

  // ------------------------------------------------------------ sharing profiles
  let profiles: SharingProfile[] = [];

  function renderProfiles(): void {
    const newButton = button([icon('plus'), 'New Sharing Profile'], () => editProfile(null), { kind: 'primary', small: true });
    const list = profiles.length
      ? h(
          'ul',
          { class: 'profile-list' },
          ...[...profiles]
            .sort((a, b) => a.name.localeCompare(b.name))
            .map((p) => {
              const b = h(
                'button',
                { type: 'button', class: 'profile-item', 'data-profile-id': p.id, 'aria-label': `Edit sharing profile ${p.name}` },
                icon(p.read_only ? 'eye' : 'share'),
                h('span', { class: 'profile-name' }, p.name),
                h('span', { class: `tag ${p.read_only ? 'tag-readonly' : 'tag-control'}` }, p.read_only ? 'View only' : 'Full control'),
                Object.keys(p.parameters).length ? h('span', { class: 'muted small' }, plural(Object.keys(p.parameters).length, 'extra parameter')) : null,
              );
              b.addEventListener('click', () => editProfile(p));
              return h('li', {}, b);
            }),
        )
      : h('p', { class: 'muted' }, 'No sharing profiles yet. Without one, this connection’s sessions cannot be shared.');
    profilesHost.replaceChildren(
      h(
        'div',
        { class: 'section-head' },
        h('div', {}, h('h2', { id: 'profiles-title' }, 'Sharing profiles'), h('p', { class: 'muted small' }, 'Each profile is a way to share a live session of this connection: people who join through its links get view-only access or full control.')),
        newButton,
      ),
      list,
    );
  }

  async function loadProfiles(): Promise<void> {
    if (!connectionId) return;
    try {
      profiles = await listProfiles(token, connectionId);
      if (alive) renderProfiles();
    } catch (e) {
      if (alive) profilesHost.replaceChildren(h('h2', { id: 'profiles-title' }, 'Sharing profiles'), h('p', { class: 'error-text', role: 'alert' }, errorText(e)));
    }
  }

  function editProfile(p: SharingProfile | null): void {
    if (!connectionId) return;
    const name = h('input', { type: 'text', maxlength: '128', required: true, autocomplete: 'off', autofocus: true });
    name.value = p?.name ?? '';
    const group = uid('access');
    const ro = h('input', { type: 'radio', name: group, value: 'ro', id: uid('ro') });
    const rw = h('input', { type: 'radio', name: group, value: 'rw', id: uid('rw') });
    ro.checked = p ? p.read_only : true;
    rw.checked = !ro.checked;
    const params = kvEditor(p?.parameters ?? {}, 'Extra parameters for people who join');
    const error = h('p', { class: 'error-text', role: 'alert', hidden: true });
    const fail = (e: unknown, what: string) => {
      error.textContent = errorText(e, what);
      error.hidden = false;
    };

    const actions: HTMLElement[] = [];
    if (p) {
      actions.push(
        button('Delete', async () => {
          const ok = await confirmDialog({
            title: `Delete “${p.name}”?`,
            message: 'Links made with this profile stop working and the people who joined through them are disconnected.',
            confirm: 'Delete profile',
            danger: true,
          });
          if (!ok) return;
          try {
            await deleteProfile(token, p.id);
            d.close();
            await loadProfiles();
          } catch (e) {
            fail(e, 'The profile could not be deleted.');
          }
        }, { kind: 'danger', class: 'push-right-mobile' }),
        button('Clone', () => {
          d.close();
          cloneDialog(p);
        }),
      );
    }
    actions.push(button('Cancel', () => d.close()), button('Save', () => undefined, { kind: 'primary', type: 'submit' }));

    const d = openDialog({
      title: p ? 'Edit sharing profile' : 'New sharing profile',
      wide: true,
      content: [
        fieldBlock('Name', name, 'Shown in the Sharing menu of live sessions, e.g. “Watch only” or “Pair programming”.'),
        h(
          'fieldset',
          { class: 'radio-group' },
          h('legend', {}, 'People who join can'),
          h('div', { class: 'radio-row' }, ro, h('label', { for: ro.id }, h('strong', {}, 'Only watch'), h('span', { class: 'muted small' }, 'Their keyboard, mouse and clipboard never reach the remote desktop.'))),
          h('div', { class: 'radio-row' }, rw, h('label', { for: rw.id }, h('strong', {}, 'Watch and control'), h('span', { class: 'muted small' }, 'They type and click along with the person who shared.'))),
        ),
        h(
          'details',
          { class: 'advanced', open: Object.keys(p?.parameters ?? {}).length > 0 },
          h('summary', {}, 'Advanced: extra guacd parameters for joiners'),
          h('p', { class: 'help' }, 'Per-user settings guacd applies to people joining, by exact parameter name.'),
          params.element,
        ),
        error,
      ],
      actions,
      onsubmit: async () => {
        error.hidden = true;
        if (!name.value.trim()) {
          error.textContent = 'Give the profile a name.';
          error.hidden = false;
          name.focus();
          return;
        }
        const body = { name: name.value.trim(), read_only: ro.checked, parameters: params.read() };
        try {
          if (p) await updateProfile(token, p.id, body);
          else await createProfile(token, connectionId, body);
          d.close();
          await loadProfiles();
        } catch (e) {
          fail(e, 'The profile could not be saved.');
        }
      },
    });
  }

  function cloneDialog(p: SharingProfile): void {
    const name = h('input', { type: 'text', maxlength: '128', autocomplete: 'off', autofocus: true });
    name.value = `${p.name} (copy)`;
    const error = h('p', { class: 'error-text', role: 'alert', hidden: true });
    const d = openDialog({
      title: `Clone “${p.name}”`,
      content: [fieldBlock('Name of the copy', name, 'The copy has the same access and parameters.'), error],
      actions: [button('Cancel', () => d.close()), button('Clone', () => undefined, { kind: 'primary', type: 'submit' })],
      onsubmit: async () => {
        try {
          await cloneProfile(token, p.id, name.value.trim());
          d.close();
          await loadProfiles();
        } catch (e) {
          error.textContent = errorText(e, 'The profile could not be cloned.');
          error.hidden = false;
        }
      },
    });
    name.select();
  }

  // ------------------------------------------------------------ loading
  function show(d: ConnectionDetail | null): void {
    heading.textContent = d ? d.name : 'New connection';
    document.title = `${d ? d.name : 'New connection'} · Settings · Porthole`;
    buildForm(d);
  }

  async function load(): Promise<void> {
    if (isNew) {
      show(null);
      profilesHost.replaceChildren(
        h('h2', { id: 'profiles-title' }, 'Sharing profiles'),
        h('p', { class: 'muted' }, 'Save the connection first; then add the ways its sessions may be shared.'),
      );
      return;
    }
    status.loading('Loading the connection…');
    try {
      detail = await getConnection(token, connectionId);
      if (!alive) return;
      status.clear();
      show(detail);
      await loadProfiles();
    } catch (e) {
      if (!alive) return;
      if (e instanceof ApiError && e.status === 401) return ctx.signedOut('Your sign-in has expired. Sign in again.');
      status.error(errorText(e, 'Could not load the connection.'), () => void load());
    }
  }

  const back = h('a', { class: 'back-link', href: hrefFor({ name: 'admin-connections' }) }, icon('back'), 'All connections');
  document.title = 'Connection · Settings · Porthole';
  return {
    element: settingsPage(ctx, 'connections', back, h('div', { class: 'page-head' }, heading), status.element, formHost, profilesHost),
    mounted() {
      void load();
    },
    destroy() {
      alive = false;
    },
  };
}
