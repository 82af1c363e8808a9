import { useEffect, useMemo, useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { resetSocket } from './client.js';
import type { MeQuery as Me } from './gql/graphql.js';
import { MeQuery, SignOutMutation } from './operations.js';
import { Compose } from './pages/Compose.js';
import { Directory } from './pages/Directory.js';
import { MemberPage } from './pages/Member.js';
import { MessagePage } from './pages/Message.js';
import { QueuePage } from './pages/Queue.js';
import { SignIn } from './pages/SignIn.js';
import { Link, navigate, useRoute } from './router.js';

export type Viewer = NonNullable<Me['me']>;
export type ChurchChoice = Viewer['churches'][number];

const TITLES: Record<string, string> = { directory: 'Directory', member: 'Member', compose: 'Send a text', message: 'Text progress', queue: 'Queue', notFound: 'Not found' };

export function App() {
  const [{ data, fetching, error }, refetch] = useQuery({ query: MeQuery, requestPolicy: 'network-only' });
  const [, signOut] = useMutation(SignOutMutation);
  const route = useRoute();
  const me = data?.me ?? null;
  const [churchId, setChurchId] = useState<string | null>(null);
  const church = useMemo(() => me?.churches.find((c) => c.church.id === churchId) ?? me?.churches[0], [me, churchId]);

  useEffect(() => {
    document.title = me ? `${TITLES[route.name]} · Steeple` : 'Sign in · Steeple';
  }, [me, route.name]);

  if (fetching && !data) return <p aria-busy="true">Loading…</p>;
  if (!me) {
    return (
      <SignIn
        unreachable={error && !error.graphQLErrors.length ? error : undefined}
        onSignedIn={() => {
          resetSocket();
          refetch({ requestPolicy: 'network-only' });
        }}
      />
    );
  }

  const leave = async () => {
    await signOut({});
    resetSocket();
    navigate('/');
    refetch({ requestPolicy: 'network-only' });
  };

  const admin = me.user.isPlatformAdmin;
  return (
    <>
      <header className="top">
        <strong className="brand">Steeple</strong>
        <nav aria-label="Main">
          <ul>
            {church && (
              <>
                <li>
                  <Link to="/" aria-current={route.name === 'directory' ? 'page' : undefined}>Directory</Link>
                </li>
                <li>
                  <Link to="/compose" aria-current={route.name === 'compose' ? 'page' : undefined}>Send a text</Link>
                </li>
              </>
            )}
            {admin && (
              <li>
                <Link to="/queue" aria-current={route.name === 'queue' ? 'page' : undefined}>Queue</Link>
              </li>
            )}
          </ul>
        </nav>
        <div className="who">
          {me.churches.length > 1 && (
            <label>
              Church{' '}
              <select value={church?.church.id} onChange={(e) => setChurchId(e.target.value)}>
                {me.churches.map((c) => (
                  <option key={c.church.id} value={c.church.id}>
                    {c.church.name}
                  </option>
                ))}
              </select>
            </label>
          )}
          {me.churches.length === 1 && church && <span>{church.church.name}</span>}
          <span>
            Signed in as <strong>{me.user.name}</strong>
            {church ? ` (${church.role.toLowerCase()})` : admin ? ' (platform admin)' : ''}
          </span>
          <button type="button" onClick={leave}>
            Sign out
          </button>
        </div>
      </header>
      <main>
        <Page route={route} church={church} admin={admin} />
      </main>
    </>
  );
}

function Page({ route, church, admin }: { route: ReturnType<typeof useRoute>; church: ChurchChoice | undefined; admin: boolean }) {
  if (route.name === 'queue') return admin ? <QueuePage /> : <p>The queue is for platform admins.</p>;
  if (route.name === 'member') return <MemberPage id={route.id} />;
  if (route.name === 'message') return <MessagePage id={route.id} />;
  if (!church) return admin ? <QueuePage /> : <p>You have no role in a church yet.</p>;
  if (route.name === 'directory') return <Directory church={church} key={church.church.id} />;
  if (route.name === 'compose') return <Compose church={church} key={church.church.id} />;
  return (
    <>
      <h1>Not found</h1>
      <p>
        <Link to="/">Back to the directory</Link>
      </p>
    </>
  );
}
