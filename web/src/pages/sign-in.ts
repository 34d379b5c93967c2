import { api, ApiError, type SessionResponse } from '../api.ts';
import { h, replaceChildren } from '../dom.ts';
import type { PageContext } from '../router.ts';

/** The read token is sent once; the server answers with an HttpOnly session cookie that scripts cannot read. */
export function signInPage({ main, route }: PageContext): void {
  const input = h('input', {
    id: 'token',
    name: 'token',
    type: 'password',
    autocomplete: 'current-password',
    required: true,
    spellcheck: 'false',
    'aria-describedby': 'token-help',
  });
  const error = h('p', { class: 'status error', role: 'alert' });
  const button = h('button', { type: 'submit' }, 'Sign in');
  const form = h(
    'form',
    {
      class: 'sign-in',
      onsubmit: async (event: Event) => {
        event.preventDefault();
        button.disabled = true;
        error.textContent = '';
        try {
          await api<SessionResponse>('/api/v1/session', {
            method: 'POST',
            body: JSON.stringify({ token: input.value.trim() }),
          });
          const next = route.params.get('next');
          location.hash = next && next.startsWith('#/') && !next.startsWith('#/sign-in') ? next : '#/';
        } catch (err) {
          error.textContent =
            err instanceof ApiError && err.status === 401
              ? 'That token is not valid.'
              : err instanceof ApiError && err.status === 403
                ? 'That token may not read: use a read token.'
                : `Could not sign in: ${err instanceof Error ? err.message : String(err)}`;
          input.focus();
        } finally {
          button.disabled = false;
        }
      },
    },
    h('h1', null, 'Sign in'),
    h('label', { for: 'token' }, 'Read token'),
    input,
    h(
      'p',
      { id: 'token-help', class: 'muted' },
      'A token from ONSET_READ_TOKENS or `onset token create`. The browser keeps only a session cookie.',
    ),
    button,
    error,
  );
  replaceChildren(main, form);
  input.focus();
}
