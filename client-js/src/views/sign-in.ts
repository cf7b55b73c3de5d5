// Sign-in page: POST api/tokens, then on to wherever the user was going.

import { ApiError, NetworkError, createToken, errorText } from '../api';
import { saveSession } from '../auth';
import { h, brand } from '../dom';
import type { View, AppContext } from './view';

export function signInView(ctx: AppContext, notice: string | null): View {
  const username = h('input', {
    id: 'username',
    name: 'username',
    type: 'text',
    autocomplete: 'username',
    autocapitalize: 'none',
    spellcheck: 'false',
    required: true,
  });
  const password = h('input', {
    id: 'password',
    name: 'password',
    type: 'password',
    autocomplete: 'current-password',
    required: true,
  });
  const error = h('p', { class: 'error-text', id: 'sign-in-error', role: 'alert', hidden: true });
  const submit = h('button', { type: 'submit', class: 'button primary wide' }, 'Sign in');

  const form = h(
    'form',
    { class: 'card sign-in', 'aria-labelledby': 'sign-in-title', novalidate: true },
    h('div', { class: 'card-brand' }, brand()),
    h('h1', { id: 'sign-in-title' }, 'Sign in'),
    notice ? h('p', { class: 'notice', role: 'status' }, notice) : null,
    h('div', { class: 'field' }, h('label', { for: 'username' }, 'Username'), username),
    h('div', { class: 'field' }, h('label', { for: 'password' }, 'Password'), password),
    error,
    submit,
  );

  let lockTimer: number | undefined;

  function showError(text: string): void {
    error.textContent = text;
    error.hidden = false;
    form.setAttribute('aria-describedby', 'sign-in-error');
  }

  function lockFor(seconds: number, text: string): void {
    let left = seconds;
    submit.disabled = true;
    const tick = () => {
      if (left <= 0) {
        window.clearInterval(lockTimer);
        submit.disabled = false;
        submit.textContent = 'Sign in';
        return;
      }
      submit.textContent = `Try again in ${left} s`;
      left--;
    };
    showError(text);
    tick();
    lockTimer = window.setInterval(tick, 1000);
  }

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (submit.disabled) return;
    const user = username.value.trim();
    if (!user || !password.value) {
      showError('Enter your username and password.');
      (user ? password : username).focus();
      return;
    }
    submit.disabled = true;
    submit.textContent = 'Signing in…';
    form.setAttribute('aria-busy', 'true');
    try {
      const res = await createToken(user, password.value);
      saveSession({
        token: res.token,
        username: res.username || user,
        displayName: res.display_name || res.username || user,
        isAdmin: res.is_admin === true,
        expiresAt: res.expires_at ?? null,
      });
      ctx.signedIn();
      return;
    } catch (e) {
      password.value = '';
      submit.disabled = false;
      submit.textContent = 'Sign in';
      if (e instanceof ApiError && e.status === 429 && e.retryAfterSeconds) {
        lockFor(e.retryAfterSeconds, errorText(e));
      } else if (e instanceof ApiError || e instanceof NetworkError) {
        showError(errorText(e));
      } else {
        showError('Something went wrong. Try again.');
      }
      password.focus();
    } finally {
      form.removeAttribute('aria-busy');
    }
  });

  document.title = 'Sign in · Porthole';
  const root = h(
    'main',
    { class: 'page-center sign-in-page' },
    form,
    h('p', { class: 'sign-in-foot muted' }, 'Remote desktops in your browser, shared safely.'),
  );
  return {
    element: root,
    mounted() {
      username.focus();
    },
    destroy() {
      window.clearInterval(lockTimer);
    },
  };
}
