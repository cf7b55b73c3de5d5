// The connection parameters offered per protocol, with help text. Names are guacd's
// parameter names; the help text is Porthole's own. Anything a connection holds that
// is not listed here stays editable under "Other parameters".

import type { Backend } from './api';

export type FieldType = 'text' | 'number' | 'password' | 'textarea' | 'select' | 'boolean';

export interface Field {
  name: string;
  label: string;
  type: FieldType;
  help?: string;
  placeholder?: string;
  /** Select choices: [value, label]; value "" means "not set". */
  options?: [string, string][];
  required?: boolean;
  /** Never sent back by the server; "leave empty to keep". */
  secret?: boolean;
}

export interface Section {
  title: string;
  fields: Field[];
  /** Rarely needed: shown folded unless one of its fields has a value. */
  advanced?: boolean;
}

export interface ProtocolForm {
  protocol: string;
  label: string;
  defaultPort: string;
  sections: Section[];
}

/** The server's rule (gateway `is_secret`): these are write-only. */
export function isSecretName(name: string): boolean {
  const n = name.toLowerCase();
  return ['password', 'passphrase', 'private-key', 'secret', 'token'].some((s) => n.includes(s));
}

const host = (port: string): Section => ({
  title: 'Network',
  fields: [
    { name: 'hostname', label: 'Host name or address', type: 'text', required: true, placeholder: 'desktop.example.internal', help: 'Where guacd should connect: a DNS name or an IP address reachable from guacd, not from your browser.' },
    { name: 'port', label: 'Port', type: 'number', placeholder: port, help: `Leave empty for the usual port (${port}).` },
  ],
});

const colorDepth: Field = {
  name: 'color-depth',
  label: 'Colour depth',
  type: 'select',
  options: [['', 'Server default'], ['8', '256 colours (8-bit)'], ['16', 'High colour (16-bit)'], ['24', 'True colour (24-bit)'], ['32', 'True colour with alpha (32-bit)']],
  help: 'Fewer colours use less bandwidth on slow links.',
};

const clipboard: Section = {
  title: 'Clipboard',
  advanced: true,
  fields: [
    { name: 'disable-copy', label: 'Block copying out of the remote desktop', type: 'boolean', help: 'Text copied on the remote side never reaches the browser.' },
    { name: 'disable-paste', label: 'Block pasting into the remote desktop', type: 'boolean', help: 'Text from the browser is never sent to the remote side.' },
  ],
};

const terminal: Section = {
  title: 'Terminal',
  advanced: true,
  fields: [
    { name: 'font-name', label: 'Font', type: 'text', placeholder: 'monospace', help: 'A font installed on the guacd host.' },
    { name: 'font-size', label: 'Font size (points)', type: 'number', placeholder: '12' },
    {
      name: 'color-scheme',
      label: 'Colours',
      type: 'select',
      options: [['', 'Server default (black on white)'], ['black-white', 'Black on white'], ['gray-black', 'Grey on black'], ['green-black', 'Green on black'], ['white-black', 'White on black']],
    },
    { name: 'scrollback', label: 'Scrollback lines', type: 'number', placeholder: '1000', help: 'How many lines of history the terminal keeps.' },
    { name: 'terminal-type', label: 'Terminal type', type: 'text', placeholder: 'linux', help: 'The TERM value announced to the server, such as xterm-256color.' },
    {
      name: 'backspace',
      label: 'Backspace sends',
      type: 'select',
      options: [['', 'Delete (127, default)'], ['8', 'Ctrl+H (8)']],
    },
  ],
};

export const PROTOCOL_FORMS: ProtocolForm[] = [
  {
    protocol: 'vnc',
    label: 'VNC',
    defaultPort: '5900',
    sections: [
      host('5900'),
      {
        title: 'Authentication',
        fields: [
          { name: 'username', label: 'User name', type: 'text', help: 'Only for servers that ask for one (most VNC servers only use a password).' },
          { name: 'password', label: 'Password', type: 'password', secret: true, help: 'The VNC password. Stored on the gateway and never shown again.' },
        ],
      },
      {
        title: 'Display',
        fields: [
          colorDepth,
          { name: 'swap-red-blue', label: 'Swap red and blue', type: 'boolean', help: 'For servers that send colours in the wrong order (everything looks blue-tinted).' },
          {
            name: 'cursor',
            label: 'Mouse pointer',
            type: 'select',
            options: [['', 'Drawn by the browser (smoothest)'], ['remote', 'Drawn by the server']],
            help: 'Let the server draw the pointer if it looks wrong or lags.',
          },
          { name: 'read-only', label: 'View only', type: 'boolean', help: 'Nobody can type or click on this desktop, not even its owner.' },
        ],
      },
      {
        title: 'Repeater',
        advanced: true,
        fields: [
          { name: 'dest-host', label: 'Destination host', type: 'text', help: 'For a VNC repeater: the host the repeater should forward to.' },
          { name: 'dest-port', label: 'Destination port', type: 'number' },
        ],
      },
      clipboard,
    ],
  },
  {
    protocol: 'rdp',
    label: 'RDP',
    defaultPort: '3389',
    sections: [
      host('3389'),
      {
        title: 'Authentication',
        fields: [
          { name: 'username', label: 'User name', type: 'text', help: 'Leave empty to be asked by Windows at the log-on screen.' },
          { name: 'password', label: 'Password', type: 'password', secret: true, help: 'Stored on the gateway and never shown again.' },
          { name: 'domain', label: 'Domain', type: 'text', placeholder: 'CORP' },
          {
            name: 'security',
            label: 'Security mode',
            type: 'select',
            options: [['', 'Negotiate with the server'], ['nla', 'Network Level Authentication (NLA)'], ['nla-ext', 'NLA, extended'], ['tls', 'TLS'], ['vmconnect', 'Hyper-V console (VMConnect)'], ['rdp', 'Standard RDP encryption (legacy)']],
            help: 'NLA needs a user name and password here.',
          },
          { name: 'ignore-cert', label: 'Accept any server certificate', type: 'boolean', help: 'Needed for self-signed certificates. Only on networks you trust.' },
          { name: 'disable-auth', label: 'Skip authentication', type: 'boolean', help: 'For servers with authentication turned off.' },
        ],
      },
      {
        title: 'Display',
        fields: [
          colorDepth,
          {
            name: 'resize-method',
            label: 'When the browser window changes size',
            type: 'select',
            options: [['', 'Keep the size, scale the picture'], ['display-update', 'Resize the desktop (Windows 8.1 / Server 2012 R2 and later)'], ['reconnect', 'Reconnect at the new size']],
          },
          { name: 'enable-wallpaper', label: 'Show the wallpaper', type: 'boolean', help: 'Costs bandwidth.' },
          { name: 'enable-font-smoothing', label: 'Smooth fonts (ClearType)', type: 'boolean' },
          { name: 'console', label: 'Connect to the console session', type: 'boolean', help: 'Attach to the physical console (session 0) instead of a new session.' },
        ],
      },
      {
        title: 'Session',
        advanced: true,
        fields: [
          {
            name: 'server-layout',
            label: 'Keyboard layout',
            type: 'select',
            options: [['', 'US English (default)'], ['en-gb-qwerty', 'UK English'], ['de-de-qwertz', 'German'], ['de-ch-qwertz', 'Swiss German'], ['fr-fr-azerty', 'French'], ['fr-ch-qwertz', 'Swiss French'], ['es-es-qwerty', 'Spanish'], ['it-it-qwerty', 'Italian'], ['pt-br-qwerty', 'Portuguese (Brazil)'], ['sv-se-qwerty', 'Swedish'], ['ja-jp-qwerty', 'Japanese'], ['failsafe', 'Unicode (fail-safe)']],
            help: 'The layout Windows uses. Pick the one configured on the server.',
          },
          { name: 'timezone', label: 'Time zone', type: 'text', placeholder: 'Europe/Berlin', help: 'An IANA time zone name. Empty: the user’s browser time zone.' },
          { name: 'initial-program', label: 'Start program', type: 'text', help: 'Run this instead of the desktop shell.' },
          { name: 'remote-app', label: 'RemoteApp', type: 'text', placeholder: '||notepad', help: 'Show a single published application instead of the whole desktop.' },
          { name: 'disable-audio', label: 'No sound', type: 'boolean' },
          { name: 'enable-printing', label: 'Allow printing to a PDF in the browser', type: 'boolean' },
          { name: 'enable-drive', label: 'Offer a shared drive', type: 'boolean', help: 'A folder on the guacd host that appears as a drive in Windows.' },
          { name: 'drive-path', label: 'Shared drive folder (on the guacd host)', type: 'text', placeholder: '/var/lib/guacd/drives/user' },
        ],
      },
      {
        title: 'Remote Desktop Gateway',
        advanced: true,
        fields: [
          { name: 'gateway-hostname', label: 'Gateway host', type: 'text', help: 'Only when the server is reached through a Remote Desktop Gateway.' },
          { name: 'gateway-port', label: 'Gateway port', type: 'number', placeholder: '443' },
          { name: 'gateway-username', label: 'Gateway user name', type: 'text' },
          { name: 'gateway-password', label: 'Gateway password', type: 'password', secret: true },
          { name: 'gateway-domain', label: 'Gateway domain', type: 'text' },
        ],
      },
      clipboard,
    ],
  },
  {
    protocol: 'ssh',
    label: 'SSH',
    defaultPort: '22',
    sections: [
      host('22'),
      {
        title: 'Authentication',
        fields: [
          { name: 'username', label: 'User name', type: 'text', help: 'Leave empty to be asked in the terminal.' },
          { name: 'password', label: 'Password', type: 'password', secret: true, help: 'Stored on the gateway and never shown again.' },
          { name: 'private-key', label: 'Private key', type: 'textarea', secret: true, placeholder: '-----BEGIN OPENSSH PRIVATE KEY-----', help: 'The whole key in OpenSSH or PEM format. Used instead of the password when set.' },
          { name: 'passphrase', label: 'Key passphrase', type: 'password', secret: true, help: 'Only if the private key is encrypted.' },
          { name: 'host-key', label: 'Server host key', type: 'text', help: 'The server’s public key (as in known_hosts). When set, connections to any other key are refused.' },
        ],
      },
      terminal,
      {
        title: 'Session',
        advanced: true,
        fields: [
          { name: 'command', label: 'Command', type: 'text', help: 'Run this command instead of a login shell; the session ends with it.' },
          { name: 'locale', label: 'Locale', type: 'text', placeholder: 'en_US.UTF-8' },
          { name: 'timezone', label: 'Time zone', type: 'text', placeholder: 'Europe/Berlin' },
          { name: 'server-alive-interval', label: 'Keep-alive every (seconds)', type: 'number', help: 'Stops firewalls from dropping idle sessions. Empty: off.' },
          { name: 'enable-sftp', label: 'Allow file transfer (SFTP)', type: 'boolean' },
          { name: 'sftp-root-directory', label: 'SFTP starts in', type: 'text', placeholder: '/' },
        ],
      },
      clipboard,
    ],
  },
  {
    protocol: 'telnet',
    label: 'Telnet',
    defaultPort: '23',
    sections: [
      host('23'),
      {
        title: 'Authentication',
        fields: [
          { name: 'username', label: 'User name', type: 'text' },
          { name: 'password', label: 'Password', type: 'password', secret: true, help: 'Telnet sends it unencrypted. Stored on the gateway and never shown again.' },
          { name: 'username-regex', label: 'User name prompt', type: 'text', placeholder: '[Ll]ogin:', help: 'A regular expression matching the server’s user name prompt.' },
          { name: 'password-regex', label: 'Password prompt', type: 'text', placeholder: '[Pp]assword:' },
        ],
      },
      terminal,
      clipboard,
    ],
  },
  {
    protocol: 'kubernetes',
    label: 'Kubernetes',
    defaultPort: '8080',
    sections: [
      host('8080'),
      {
        title: 'Container',
        fields: [
          { name: 'namespace', label: 'Namespace', type: 'text', placeholder: 'default' },
          { name: 'pod', label: 'Pod', type: 'text', required: true },
          { name: 'container', label: 'Container', type: 'text', help: 'Empty: the pod’s first container.' },
          { name: 'exec-command', label: 'Command', type: 'text', help: 'Run this command in the container instead of attaching to its console.' },
        ],
      },
      {
        title: 'TLS',
        advanced: true,
        fields: [
          { name: 'use-ssl', label: 'Use TLS', type: 'boolean' },
          { name: 'ignore-cert', label: 'Accept any server certificate', type: 'boolean' },
          { name: 'ca-cert', label: 'CA certificate', type: 'textarea', placeholder: '-----BEGIN CERTIFICATE-----' },
          { name: 'client-cert', label: 'Client certificate', type: 'textarea', placeholder: '-----BEGIN CERTIFICATE-----' },
          { name: 'client-key', label: 'Client key', type: 'textarea', placeholder: '-----BEGIN PRIVATE KEY-----', help: 'Note: this gateway version stores and returns it like any other parameter.' },
        ],
      },
      terminal,
    ],
  },
];

/**
 * VNC through Porthole's own client (backend `builtin`, no guacd): only these three
 * parameters mean anything to it.
 */
export const BUILTIN_VNC_FORM: ProtocolForm = {
  protocol: 'vnc',
  label: 'VNC',
  defaultPort: '5900',
  sections: [
    {
      title: 'Network',
      fields: [
        { name: 'hostname', label: 'Host name or address', type: 'text', required: true, placeholder: 'desktop.example.internal', help: 'Where Porthole should connect: a DNS name or an IP address reachable from the gateway, not from your browser.' },
        { name: 'port', label: 'Port', type: 'number', placeholder: '5900', help: 'Leave empty for the usual port (5900).' },
      ],
    },
    {
      title: 'Authentication',
      fields: [
        { name: 'password', label: 'Password', type: 'password', secret: true, help: 'Only for servers that use VNC Authentication; leave empty for servers that ask for none. Stored on the gateway and never shown again.' },
      ],
    },
  ],
};

/** Which back ends can serve `protocol`: the built-in one serves VNC only. */
export function builtinBackendServes(protocol: string): boolean {
  return protocol === 'vnc';
}

export function formFor(protocol: string, backend: Backend = 'guacd'): ProtocolForm | null {
  if (backend === 'builtin' && builtinBackendServes(protocol)) return BUILTIN_VNC_FORM;
  return PROTOCOL_FORMS.find((f) => f.protocol === protocol) ?? null;
}

/** Every parameter name the form of `protocol` (with that back end) shows. */
export function knownNames(protocol: string, backend: Backend = 'guacd'): Set<string> {
  const names = new Set<string>();
  for (const s of formFor(protocol, backend)?.sections ?? []) for (const f of s.fields) names.add(f.name);
  return names;
}
