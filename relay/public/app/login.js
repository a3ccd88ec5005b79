// Owner login: e-mail and password → POST /v1/auth/login, which sets the HttpOnly
// SameSite=Strict session cookie. The token in the answer is not kept anywhere.
import { $, api, reloadWhenRestored, say, showError } from './common.js';

reloadWhenRestored();

const form = $('#login');
const error = $('#login-error');
const button = form.querySelector('button');

async function alreadySignedIn() {
  try {
    const me = await api('GET', '/v1/me');
    if (me.kind === 'owner') window.location.replace('/');
  } catch {
    // not signed in: stay here
  }
}

form.addEventListener('submit', async (e) => {
  e.preventDefault();
  error.hidden = true;
  const email = $('#email').value.trim();
  const password = $('#password').value;
  if (!email || !password) {
    say(error, 'Enter your e-mail address and your password.', 'error');
    (email ? $('#password') : $('#email')).focus();
    return;
  }
  button.disabled = true;
  button.textContent = 'Signing in…';
  try {
    await api('POST', '/v1/auth/login', { body: { email, password } });
    $('#password').value = '';
    window.location.replace('/');
  } catch (err) {
    showError(error, err);
    $('#password').value = '';
    $('#password').focus();
  } finally {
    button.disabled = false;
    button.textContent = 'Sign in';
  }
});

void alreadySignedIn();
$('#email').focus();
