import { useQuery } from 'urql';
import { ErrorNote } from '../errors.js';
import { MemberQuery } from '../operations.js';
import { Link } from '../router.js';

const label = (s: string) => s.charAt(0) + s.slice(1).toLowerCase();
const when = (iso: string) => new Date(iso).toLocaleString();

export function MemberPage({ id }: { id: string }) {
  const [{ data, fetching, error }] = useQuery({ query: MemberQuery, variables: { id } });
  const m = data?.member;
  if (fetching && !m) return <p aria-busy="true">Loading…</p>;
  if (!m) return <ErrorNote error={error} />;
  return (
    <>
      <p>
        <Link to="/">← Directory</Link>
      </p>
      <h1>{m.fullName}</h1>
      <dl className="facts">
        <dt>Status</dt>
        <dd>{label(m.status)}{m.archivedAt ? ' (archived)' : ''}</dd>
        <dt>Phone</dt>
        <dd>{m.phone ?? 'None'}{m.smsOptedOut ? ` (opted out of texts${m.smsOptedOutAt ? ` on ${new Date(m.smsOptedOutAt).toLocaleDateString()}` : ''})` : ''}</dd>
        <dt>Email</dt>
        <dd>{m.email ? <a href={`mailto:${m.email}`}>{m.email}</a> : 'None'}</dd>
        <dt>Born</dt>
        <dd>{m.birthDate ?? 'Unknown'}</dd>
        <dt>Joined</dt>
        <dd>{m.joinedOn ?? (m.firstVisitOn ? `First visit ${m.firstVisitOn}` : 'Unknown')}</dd>
      </dl>
      <section aria-labelledby="household">
        <h2 id="household">Household</h2>
        {m.household ? (
          <>
            <p>{m.household.name}</p>
            <ul>
              {m.household.members.map((h) => (
                <li key={h.id}>{h.id === m.id ? h.fullName : <Link to={`/members/${h.id}`}>{h.fullName}</Link>}</li>
              ))}
            </ul>
          </>
        ) : (
          <p>None.</p>
        )}
      </section>
      <section aria-labelledby="groups">
        <h2 id="groups">Groups</h2>
        {m.groups.length ? (
          <ul>
            {m.groups.map((g) => (
              <li key={g.id}>{g.name}</li>
            ))}
          </ul>
        ) : (
          <p>None.</p>
        )}
      </section>
      <section aria-labelledby="texts">
        <h2 id="texts">Recent texts</h2>
        {m.recentMessages.length ? (
          <ul>
            {m.recentMessages.map((t) => (
              <li key={t.messageId}>
                <Link to={`/messages/${t.messageId}`}>{when(t.createdAt)}</Link>: “{t.body}” ({label(t.status)})
              </li>
            ))}
          </ul>
        ) : (
          <p>None yet.</p>
        )}
      </section>
    </>
  );
}
