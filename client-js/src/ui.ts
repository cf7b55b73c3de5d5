// Small accessible building blocks: buttons, modal dialogs, menus, popovers and
// toasts. All keyboard-operable: menus follow the WAI-ARIA menu-button pattern
// (arrows, Home/End, Escape), dialogs are native <dialog> elements (focus stays
// inside, Escape closes, focus returns to the opener).

import { h, icon, uid } from './dom';

type ButtonKind = 'primary' | 'secondary' | 'danger' | 'ghost';

export function button(
  label: string | Node | (string | Node)[],
  onClick: (ev: MouseEvent) => void,
  opts: { kind?: ButtonKind; small?: boolean; ariaLabel?: string; title?: string; type?: 'button' | 'submit'; class?: string } = {},
): HTMLButtonElement {
  const classes = ['button', opts.kind ?? 'secondary'];
  if (opts.small) classes.push('small');
  if (opts.class) classes.push(opts.class);
  const b = h('button', {
    type: opts.type ?? 'button',
    class: classes.join(' '),
    'aria-label': opts.ariaLabel,
    title: opts.title,
  });
  for (const part of Array.isArray(label) ? label : [label]) b.append(part);
  b.addEventListener('click', onClick);
  return b;
}

// ---------------------------------------------------------------- dialogs

export interface DialogHandle {
  element: HTMLDialogElement;
  body: HTMLElement;
  close(): void;
}

/**
 * Opens a modal dialog. `content` goes in the body; `actions` in the footer. The
 * dialog removes itself when closed (Escape, a close button, or `close()`).
 */
export function openDialog(opts: {
  title: string;
  content: (Node | string | null)[];
  actions?: HTMLElement[];
  onclose?: () => void;
  wide?: boolean;
  /** Render the body and footer inside a <form>; submit calls this. */
  onsubmit?: (ev: SubmitEvent) => void;
}): DialogHandle {
  const titleId = uid('dialog-title');
  const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  const dialog = h('dialog', { class: `dialog${opts.wide ? ' wide' : ''}`, 'aria-labelledby': titleId });
  const closeButton = h(
    'button',
    { type: 'button', class: 'icon-button dialog-close', 'aria-label': 'Close' },
    icon('close'),
  );
  const body = h('div', { class: 'dialog-body' });
  for (const c of opts.content) if (c !== null) body.append(c);
  const footer = h('div', { class: 'dialog-actions' }, ...(opts.actions ?? []));
  const header = h('div', { class: 'dialog-header' }, h('h2', { id: titleId }, opts.title), closeButton);
  if (opts.onsubmit) {
    const form = h('form', { class: 'dialog-form', novalidate: true }, body, footer);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      opts.onsubmit?.(ev);
    });
    dialog.append(header, form);
  } else {
    dialog.append(header, body, footer);
  }

  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    if (dialog.open) dialog.close();
    dialog.remove();
    opts.onclose?.();
    if (opener?.isConnected) opener.focus();
  };
  closeButton.addEventListener('click', close);
  dialog.addEventListener('cancel', (ev) => {
    ev.preventDefault();
    close();
  });
  dialog.addEventListener('close', close);
  document.body.appendChild(dialog);
  dialog.showModal();
  const first = body.querySelector<HTMLElement>('[autofocus], input, select, textarea') ?? footer.querySelector('button');
  first?.focus();
  return { element: dialog, body, close };
}

/** Asks a yes/no question; resolves true when confirmed. */
export function confirmDialog(opts: { title: string; message: string | Node; confirm: string; danger?: boolean }): Promise<boolean> {
  return new Promise((resolve) => {
    let answer = false;
    const cancel = button('Cancel', () => d.close());
    const ok = button(opts.confirm, () => {
      answer = true;
      d.close();
    }, { kind: opts.danger ? 'danger' : 'primary' });
    const d = openDialog({
      title: opts.title,
      content: [typeof opts.message === 'string' ? h('p', {}, opts.message) : opts.message],
      actions: [cancel, ok],
      onclose: () => resolve(answer),
    });
    cancel.focus();
  });
}

// ---------------------------------------------------------------- outside clicks

/** Calls `fn` on a pointer press outside every one of `inside`; returns the remover. */
function onOutside(inside: HTMLElement[], fn: () => void): () => void {
  const handler = (ev: Event) => {
    const t = ev.target as Node | null;
    if (t && inside.some((el) => el.contains(t))) return;
    fn();
  };
  document.addEventListener('pointerdown', handler, true);
  return () => document.removeEventListener('pointerdown', handler, true);
}

// ---------------------------------------------------------------- menus

export type MenuItem =
  | { label: string; onselect: () => void; danger?: boolean; hint?: string; icon?: string }
  | { separator: true }
  | { heading: string };

/**
 * A button that opens a menu of actions (role="menu"). `items` is called on every
 * open, so the menu reflects current state.
 */
export function menuButton(opts: {
  label: (string | Node)[];
  ariaLabel?: string;
  class?: string;
  items: () => MenuItem[];
  align?: 'start' | 'end';
  up?: boolean;
}): { element: HTMLElement; button: HTMLButtonElement; close(): void } {
  const menuId = uid('menu');
  const btn = h('button', {
    type: 'button',
    class: opts.class ?? 'button ghost',
    'aria-haspopup': 'menu',
    'aria-expanded': 'false',
    'aria-controls': menuId,
    'aria-label': opts.ariaLabel,
  });
  for (const part of opts.label) btn.append(part);
  const menu = h('div', {
    class: `menu${opts.align === 'start' ? ' align-start' : ''}${opts.up ? ' up' : ''}`,
    role: 'menu',
    id: menuId,
    hidden: true,
    tabindex: '-1',
  });
  const wrap = h('div', { class: 'menu-wrap' }, btn, menu);
  let removeOutside: (() => void) | null = null;

  const items = () => [...menu.querySelectorAll<HTMLElement>('[role=menuitem]')];
  const focusItem = (i: number) => {
    const all = items();
    if (all.length === 0) return;
    all[(i + all.length) % all.length].focus();
  };

  const close = (refocus = false) => {
    if (menu.hidden) return;
    menu.hidden = true;
    btn.setAttribute('aria-expanded', 'false');
    removeOutside?.();
    removeOutside = null;
    if (refocus) btn.focus();
  };

  const open = (focusLast = false) => {
    menu.replaceChildren();
    for (const item of opts.items()) {
      if ('separator' in item) {
        menu.append(h('div', { role: 'separator', class: 'menu-separator' }));
      } else if ('heading' in item) {
        menu.append(h('div', { class: 'menu-heading', role: 'presentation' }, item.heading));
      } else {
        const el = h(
          'button',
          { type: 'button', role: 'menuitem', class: `menu-item${item.danger ? ' danger' : ''}`, tabindex: '-1' },
          item.icon ? icon(item.icon) : null,
          h('span', { class: 'menu-item-label' }, item.label),
          item.hint ? h('span', { class: 'menu-item-hint' }, item.hint) : null,
        );
        el.addEventListener('click', () => {
          close(true);
          item.onselect();
        });
        menu.append(el);
      }
    }
    menu.hidden = false;
    btn.setAttribute('aria-expanded', 'true');
    removeOutside = onOutside([wrap], () => close());
    focusItem(focusLast ? -1 : 0);
  };

  btn.addEventListener('click', () => (menu.hidden ? open() : close()));
  btn.addEventListener('keydown', (ev) => {
    if (ev.key === 'ArrowDown') {
      ev.preventDefault();
      open();
    } else if (ev.key === 'ArrowUp') {
      ev.preventDefault();
      open(true);
    }
  });
  menu.addEventListener('keydown', (ev) => {
    const all = items();
    const i = all.indexOf(document.activeElement as HTMLElement);
    switch (ev.key) {
      case 'ArrowDown':
        ev.preventDefault();
        focusItem(i + 1);
        break;
      case 'ArrowUp':
        ev.preventDefault();
        focusItem(i - 1);
        break;
      case 'Home':
        ev.preventDefault();
        focusItem(0);
        break;
      case 'End':
        ev.preventDefault();
        focusItem(-1);
        break;
      case 'Escape':
        ev.preventDefault();
        ev.stopPropagation();
        close(true);
        break;
      case 'Tab':
        close();
        break;
    }
  });
  return { element: wrap, button: btn, close: () => close() };
}

// ---------------------------------------------------------------- popovers

/**
 * A disclosure: `trigger` shows and hides `panel` (a non-modal dialog). Escape or a
 * click outside hides it; Escape returns focus to the trigger.
 */
export function popover(
  trigger: HTMLButtonElement,
  panel: HTMLElement,
  hooks: { onopen?(): void; onclose?(): void } = {},
): { open(): void; close(refocus?: boolean): void; isOpen(): boolean } {
  const id = panel.id || uid('popover');
  panel.id = id;
  panel.hidden = true;
  if (!panel.hasAttribute('role')) panel.setAttribute('role', 'dialog');
  trigger.setAttribute('aria-expanded', 'false');
  trigger.setAttribute('aria-controls', id);
  let removeOutside: (() => void) | null = null;

  const close = (refocus = false) => {
    if (panel.hidden) return;
    panel.hidden = true;
    trigger.setAttribute('aria-expanded', 'false');
    removeOutside?.();
    removeOutside = null;
    hooks.onclose?.();
    if (refocus) trigger.focus();
  };
  const open = () => {
    if (!panel.hidden) return;
    panel.hidden = false;
    trigger.setAttribute('aria-expanded', 'true');
    removeOutside = onOutside([panel, trigger], () => close());
    hooks.onopen?.();
  };
  trigger.addEventListener('click', () => (panel.hidden ? open() : close()));
  panel.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape') {
      ev.preventDefault();
      ev.stopPropagation();
      close(true);
    }
  });
  return { open, close, isOpen: () => !panel.hidden };
}

// ---------------------------------------------------------------- toasts

export class Toasts {
  readonly element: HTMLElement;
  private readonly max: number;

  constructor(opts: { label: string; max?: number; className?: string }) {
    this.max = opts.max ?? 3;
    this.element = h('div', {
      class: `toasts ${opts.className ?? ''}`,
      role: 'log',
      'aria-live': 'polite',
      'aria-label': opts.label,
    });
  }

  /** Shows a message for `ms` (paused while hovered or focused). */
  show(text: string, opts: { kind?: 'join' | 'leave' | 'info' | 'error'; ms?: number } = {}): HTMLElement {
    const closeBtn = h('button', { type: 'button', class: 'toast-close', 'aria-label': 'Dismiss' }, icon('close'));
    const toast = h(
      'div',
      { class: `toast ${opts.kind ?? 'info'}` },
      h('span', { class: 'toast-dot', 'aria-hidden': 'true' }),
      h('span', { class: 'toast-text' }, text),
      closeBtn,
    );
    let timer: number | undefined;
    let left = opts.ms ?? 6000;
    let started = Date.now();
    const remove = () => {
      window.clearTimeout(timer);
      toast.classList.add('leaving');
      window.setTimeout(() => toast.remove(), 250);
    };
    const start = () => {
      started = Date.now();
      timer = window.setTimeout(remove, left);
    };
    const pause = () => {
      window.clearTimeout(timer);
      left = Math.max(1500, left - (Date.now() - started));
    };
    toast.addEventListener('pointerenter', pause);
    toast.addEventListener('pointerleave', start);
    toast.addEventListener('focusin', pause);
    toast.addEventListener('focusout', start);
    closeBtn.addEventListener('click', remove);
    // Newest first; drop the oldest beyond the maximum.
    this.element.prepend(toast);
    const all = [...this.element.querySelectorAll('.toast:not(.leaving)')];
    for (const old of all.slice(this.max)) old.remove();
    start();
    return toast;
  }

  clear(): void {
    this.element.replaceChildren();
  }
}

// ---------------------------------------------------------------- copy

/** Copies text to the clipboard; falls back to selecting a field for Ctrl+C. */
export async function copyText(text: string, field?: HTMLInputElement | HTMLTextAreaElement): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    if (field) {
      field.focus();
      field.select();
      try {
        return document.execCommand('copy');
      } catch {
        return false;
      }
    }
    return false;
  }
}
