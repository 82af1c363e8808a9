import type { CombinedError } from 'urql';

/** What the API said, as a person can read it (its messages are written for people). */
export function ErrorNote({ error }: { error: CombinedError | undefined }) {
  if (!error) return null;
  const messages = error.graphQLErrors.length ? error.graphQLErrors.map((e) => e.message) : ['The server could not be reached. Try again.'];
  return (
    <div role="alert" className="error">
      {messages.map((m, i) => (
        <p key={i}>{m}</p>
      ))}
    </div>
  );
}

export const errorCode = (error: CombinedError | undefined) => error?.graphQLErrors[0]?.extensions?.code as string | undefined;
