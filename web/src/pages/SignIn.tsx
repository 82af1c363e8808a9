import { useState, type FormEvent } from 'react';
import { useMutation, type CombinedError } from 'urql';
import { ErrorNote } from '../errors.js';
import { SignInMutation } from '../operations.js';

export function SignIn({ onSignedIn, unreachable }: { onSignedIn(): void; unreachable?: CombinedError }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [{ fetching, error }, login] = useMutation(SignInMutation);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const r = await login({ email, password });
    if (r.data?.login) onSignedIn();
  };

  return (
    <main className="narrow">
      <h1>Sign in to Steeple</h1>
      <ErrorNote error={error ?? unreachable} />
      <form onSubmit={submit}>
        <p>
          <label htmlFor="email">Email</label>
          <input id="email" type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
        </p>
        <p>
          <label htmlFor="password">Password</label>
          <input id="password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        </p>
        <button type="submit" disabled={fetching}>
          {fetching ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
