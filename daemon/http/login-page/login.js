// The staff login form: POST /api/login with JSON, then back to the page that asked for the login
// (?next=, local paths only) or to the page of the user's role.
const form = document.getElementById('login');
const user = document.getElementById('user');
const password = document.getElementById('password');
const message = document.getElementById('message');
const submit = document.getElementById('submit');

/** A local path to go back to; anything else (another origin, //host) is ignored. */
function nextUrl(role) {
  const next = new URLSearchParams(location.search).get('next');
  if (next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\') && !next.startsWith('/login')) return next;
  return role === 'admin' ? '/admin' : '/staff';
}

function show(text, field) {
  message.textContent = text;
  for (const el of [user, password]) el.removeAttribute('aria-invalid');
  if (field) {
    field.setAttribute('aria-invalid', 'true');
    field.focus();
  }
}

let timer = null;
/** After a 429 the button counts down the Retry-After seconds, then comes back. */
function waitThenEnable(seconds) {
  clearInterval(timer);
  let left = seconds;
  submit.disabled = true;
  const tick = () => {
    if (left <= 0) {
      clearInterval(timer);
      timer = null;
      submit.disabled = false;
      submit.textContent = 'Log in';
      show('You can try again now.');
      return;
    }
    submit.textContent = `Try again in ${left >= 90 ? `${Math.ceil(left / 60)} min` : `${left} s`}`;
    left--;
  };
  tick();
  timer = setInterval(tick, 1000);
}

form.addEventListener('submit', async (e) => {
  e.preventDefault();
  if (!user.value.trim()) return show('Enter your user name.', user);
  if (!password.value) return show('Enter your password.', password);
  submit.disabled = true;
  show('');
  try {
    const res = await fetch('/api/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      credentials: 'same-origin',
      body: JSON.stringify({ user: user.value.trim(), password: password.value }),
    });
    const body = await res.json().catch(() => null);
    if (res.ok && body && body.ok) {
      location.assign(nextUrl(body.data && body.data.role));
      return;
    }
    password.value = '';
    if (res.status === 429) {
      const s = Number(res.headers.get('retry-after')) || (body && body.error && body.error.retryAfterS) || 60;
      show((body && body.error && body.error.message) || 'Too many failed logins.');
      waitThenEnable(s);
      return;
    }
    show((body && body.error && body.error.message) || `Login failed (${res.status}).`, password);
  } catch {
    show('The kiosk daemon cannot be reached. Check that it is running.');
  }
  if (!timer) submit.disabled = false;
});

user.focus();
